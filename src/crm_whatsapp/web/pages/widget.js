// @ts-check
// <crm-whatsapp-conversations client-id="..." [api-base] [token] [lang]>: a CRM client's
// WhatsApp conversations, for the CRM's own client page. It reuses the inbox's modules in
// a shadow root, so the host page's CSS cannot break it and its CSS cannot leak out.
import { ConversationsService, defaultApiBase, loadToken } from '../lib/conversaciones-whatsapp.js';
import { ChatView } from '../views/chat.js';
import { ConversationList } from '../views/conversation-list.js';
import { h } from '../lib/dom.js';
import { currentLanguage, setLanguage, t } from '../lib/i18n.js';
import { LiveIndicator, followListAndChat } from '../views/live-indicator.js';

const STYLESHEET = new URL('../styles/style.css', import.meta.url).href;

export class CrmWhatsappConversations extends HTMLElement {
  static get observedAttributes() {
    return ['client-id', 'api-base', 'token', 'lang'];
  }

  constructor() {
    super();
    /** @type {ShadowRoot} the widget's own DOM (this.shadowRoot, typed as always there) */
    this.root = this.attachShadow({ mode: 'open' });
    /** @type {() => void} */
    this.stop = () => {};
    this.scheduled = false;
  }

  connectedCallback() {
    this.restart();
  }

  disconnectedCallback() {
    this.stop();
    this.stop = () => {};
  }

  attributeChangedCallback() {
    if (this.isConnected) this.restart();
  }

  restart() {
    // several attributes usually change together: start once for all of them
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      this.stop();
      this.stop = this.isConnected ? this.start() : () => {};
    });
  }

  /** @returns {() => void} what stops it */
  start() {
    const lang = this.getAttribute('lang');
    if (lang && lang !== currentLanguage()) setLanguage(lang);
    const clientId = (this.getAttribute('client-id') || '').trim();
    const token = this.getAttribute('token') || loadToken();
    const apiBase = this.getAttribute('api-base') || defaultApiBase();
    const link = h('link', { rel: 'stylesheet', href: STYLESHEET });
    /** @param {string} key */
    const message = (key) => {
      const text = h('p', { class: 'widget-message', role: 'status' }, t(key));
      this.root.replaceChildren(link, text);
    };
    if (!clientId) {
      message('widget.no_client');
      return () => {};
    }
    if (!token) {
      message('widget.no_token');
      return () => {};
    }

    let stopped = false;
    let stopAll = () => {};
    const service = new ConversationsService({
      apiBase,
      token,
      onUnauthorized: () => {
        if (stopped) return;
        stopped = true;
        stopAll();
        message('signin.invalid');
      },
    });
    const layout = h('div', { class: 'layout' });
    const indicator = new LiveIndicator();
    const title = h('h2', { class: 'list-title' }, t('widget.title'));
    const list = new ConversationList({
      service,
      fetchPage: (cursor, limit) => service.conversationsOfClient(clientId, cursor, limit),
      matches: (conversation) => conversation.client?.id === clientId,
      emptyKey: 'widget.empty',
      onSelect: (id, conversation) => {
        list.select(id);
        layout.classList.add('show-chat');
        chat.open(id, conversation);
        if (listPane.offsetParent === null) chat.focusStart(); // narrow: one pane at a time
      },
    });
    const chat = new ChatView({
      service,
      onBack: () => {
        layout.classList.remove('show-chat');
        list.select(null);
        chat.close();
      },
      onConversation: (conversation) => list.update(conversation),
    });
    const listPane = h(
      'section',
      { class: 'pane pane-list', 'aria-label': t('widget.title') },
      h('div', { class: 'list-head' }, title, indicator.element),
      list.element,
    );
    layout.append(listPane, h('div', { class: 'pane pane-chat' }, chat.element));
    const onLanguage = () => {
      title.textContent = t('widget.title');
      listPane.setAttribute('aria-label', t('widget.title'));
    };
    window.addEventListener('languagechange', onLanguage);
    this.root.replaceChildren(link, h('div', { class: 'widget' }, layout));

    list.reload();
    const stream = followListAndChat(service, indicator, list, chat);
    stopAll = () => {
      stream.abort();
      list.destroy();
      chat.destroy();
      indicator.destroy();
      window.removeEventListener('languagechange', onLanguage);
    };
    return () => {
      stopped = true;
      stopAll();
    };
  }
}

if (!customElements.get('crm-whatsapp-conversations')) {
  customElements.define('crm-whatsapp-conversations', CrmWhatsappConversations);
}
