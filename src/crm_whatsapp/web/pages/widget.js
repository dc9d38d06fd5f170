// @ts-check
// <crm-whatsapp-conversations client-id="..." [token] [token-url] [api-base] [lang]>: a CRM
// client's WhatsApp conversations, for the CRM's own client page. It reuses the inbox's
// modules in a shadow root, so the host page's CSS cannot break it and its CSS cannot leak.
//
// Its token is an agent token the CRM's backend mints for this page view, confined to this
// client (docs/inbox.md, "The client widget"; docs/agents.md): any script on the page can
// read it, so it must open this client's conversations only, and not for long. The widget
// renews it before it expires and after a 401, from the `getToken(clientId)` property or
// the `token-url` attribute (an address of the CRM that answers a fresh token), and says
// so plainly when it expired and could not be renewed.
import {
  ApiError,
  ConversationsService,
  defaultApiBase,
  loadToken,
} from '../lib/conversaciones-whatsapp.js';
import { TokenKeeper, tokenExpired, tokenUrlSource } from '../lib/token-keeper.js';
import { ChatView } from '../views/chat.js';
import { ConversationList } from '../views/conversation-list.js';
import { h } from '../lib/dom.js';
import { currentLanguage, setLanguage, t } from '../lib/i18n.js';
import { LiveIndicator, followListAndChat } from '../views/live-indicator.js';
import { newConversationButton } from '../views/new-conversation-dialog.js';

/**
 * @typedef {import('../lib/api-types').components['schemas']['MeOut']} MeOut
 * @typedef {import('../lib/conversaciones-whatsapp.js').EventsOptions} EventsOptions
 * @typedef {import('../lib/conversaciones-whatsapp.js').QueryValue} QueryValue
 * @typedef {import('../lib/conversaciones-whatsapp.js').Method} Method
 * @typedef {import('../lib/token-keeper.js').TokenSource} TokenSource
 */

const STYLESHEET = new URL('../styles/style.css', import.meta.url).href;

/**
 * The API client of one widget: its token comes from the keeper (renewed in place, so the
 * list, the chat and the live stream keep going), a 401 is answered by renewing once, and
 * with an agent token the requests leave out `agent` (the token says who writes).
 */
class WidgetService extends ConversationsService {
  /**
   * @param {{ apiBase: string, keeper: TokenKeeper, onRefused: (error: ApiError) => void }} options
   */
  constructor({ apiBase, keeper, onRefused }) {
    super({ apiBase, token: keeper.token, onUnauthorized: () => {} });
    this.keeper = keeper;
    this.onRefused = onRefused;
    this.asAgent = false;
  }

  /**
   * @override
   * @param {Record<string, string>} [extra]
   */
  headers(extra = {}) {
    this.token = this.keeper.token;
    return super.headers(extra);
  }

  /**
   * @override
   * @param {Method} method
   * @param {string} path
   * @param {{ params?: Record<string, QueryValue>, body?: unknown }} [options]
   * @returns {Promise<unknown>}
   */
  async request(method, path, options = {}) {
    const sent = { ...options, body: this.asAgent ? withoutAgent(options.body) : options.body };
    const token = this.keeper.token;
    try {
      return await super.request(method, path, sent);
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 401) throw error;
      if (!(await this.keeper.renewAfterRefusal(token))) {
        this.onRefused(error);
        throw error;
      }
    }
    try {
      return await super.request(method, path, sent);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) this.onRefused(error);
      throw error;
    }
  }

  /**
   * The live stream: the base class returns early only on a 401; then renew and follow on.
   * @override
   * @param {EventsOptions} [options]
   */
  async events(options = {}) {
    for (;;) {
      const token = this.keeper.token;
      await super.events(options);
      if (options.signal?.aborted) return;
      if (!(await this.keeper.renewAfterRefusal(token))) {
        this.onRefused(new ApiError(401, 'unauthorized', ''));
        return;
      }
    }
  }

  /**
   * `GET /api/v1/yo`: who the token says the widget is, and the one client it may see.
   * @returns {Promise<MeOut>}
   */
  async whoAmI() {
    const path = /** @satisfies {keyof import('../lib/api-types').paths} */ ('/api/v1/yo');
    return /** @type {MeOut} */ (await this.request('GET', path));
  }
}

/**
 * A request body without its `agent` field (JSON or multipart): an agent token writes as
 * its own agent, and the service refuses a body that names someone else.
 * @param {unknown} body
 * @returns {unknown}
 */
function withoutAgent(body) {
  if (body instanceof FormData) {
    const form = new FormData();
    for (const [name, value] of body) if (name !== 'agent') form.append(name, value);
    return form;
  }
  if (body && typeof body === 'object' && 'agent' in body) {
    const { agent: _, ...rest } = /** @type {Record<string, unknown>} */ (body);
    return rest;
  }
  return body;
}

/**
 * What the token may not do, hidden rather than left to fail: the composer's name field
 * (an agent token names its writer), linking (the `manage` scope), replying (`reply`).
 * Constructed stylesheets are CSSOM, so a host page's strict CSP does not block them.
 * @param {MeOut} me
 * @returns {CSSStyleSheet}
 */
function limits(me) {
  const hidden = [];
  if (me.actor.kind === 'agent') hidden.push('.composer-agent');
  if (!me.scopes.includes('manage')) hidden.push('.action-link', '.action-unlink');
  if (!me.scopes.includes('reply')) {
    hidden.push('.composer', '.action-take', '.action-resume', '.action-read');
  }
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(
    [
      hidden.length ? `${hidden.join(', ')} { display: none !important; }` : '',
      '.widget-agent { margin: 0; padding: 0 16px 4px; font-size: 13px; }',
    ].join('\n'),
  );
  return sheet;
}

export class CrmWhatsappConversations extends HTMLElement {
  static get observedAttributes() {
    return ['client-id', 'api-base', 'token', 'token-url', 'lang'];
  }

  constructor() {
    super();
    /** @type {ShadowRoot} the widget's own DOM (this.shadowRoot, typed as always there) */
    this.root = this.attachShadow({ mode: 'open' });
    /** @type {() => void} */
    this.stop = () => {};
    this.scheduled = false;
    /** @type {TokenSource | null} */
    this.tokenSource = null;
    /** @type {string | null} the newest token a renewal brought (the attribute is older) */
    this.fresh = null;
    // a page's script may set getToken before widget.js has defined the element: that
    // value is then the instance's own property, hiding the setter below; take it over
    if (Object.prototype.hasOwnProperty.call(this, 'getToken')) {
      const early = /** @type {{ getToken?: unknown }} */ (this).getToken;
      delete (/** @type {{ getToken?: unknown }} */ (this).getToken);
      this.tokenSource = typeof early === 'function' ? /** @type {TokenSource} */ (early) : null;
    }
  }

  /**
   * A function of the host page that returns a fresh token for a client id (a string or a
   * promise of one): called before the token expires, after a 401, and when `client-id`
   * changes to a client the token is not for. Takes precedence over `token-url`.
   * @returns {TokenSource | null}
   */
  get getToken() {
    return this.tokenSource;
  }

  /** @param {TokenSource | null} source */
  set getToken(source) {
    this.tokenSource = typeof source === 'function' ? source : null;
    if (this.isConnected) this.restart();
  }

  connectedCallback() {
    this.restart();
  }

  disconnectedCallback() {
    this.stop();
    this.stop = () => {};
  }

  /** @param {string} name */
  attributeChangedCallback(name) {
    if (name === 'token') this.fresh = null; // the page handed over a newer token
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

  /** @returns {TokenSource | null} */
  source() {
    if (this.tokenSource) return this.tokenSource;
    const url = (this.getAttribute('token-url') || '').trim();
    return url ? tokenUrlSource(url) : null;
  }

  /** @returns {() => void} what stops it */
  start() {
    const lang = this.getAttribute('lang');
    if (lang && lang !== currentLanguage()) setLanguage(lang);
    const clientId = (this.getAttribute('client-id') || '').trim();
    const apiBase = this.getAttribute('api-base') || defaultApiBase();
    const link = h('link', { rel: 'stylesheet', href: STYLESHEET });
    /**
     * @param {string} key
     * @param {Record<string, string>} [values]
     */
    const message = (key, values) => {
      const text = h('p', { class: 'widget-message', role: 'status' }, t(key, values));
      this.root.adoptedStyleSheets = [];
      this.root.replaceChildren(link, text);
    };
    if (!clientId) {
      message('widget.no_client');
      return () => {};
    }
    const source = this.source();
    const keeper = new TokenKeeper({
      token: this.fresh || this.getAttribute('token') || loadToken(),
      clientId,
      source,
      onToken: (token) => {
        this.fresh = token;
      },
    });
    if (!keeper.token && !source) {
      message('widget.no_token');
      return () => {};
    }

    let stopped = false;
    let stopAll = () => {};
    /** @param {string} key @param {Record<string, string>} [values] */
    const end = (key, values) => {
      if (stopped) return;
      stopped = true;
      keeper.stop();
      stopAll();
      message(key, values);
    };
    const service = new WidgetService({
      apiBase,
      keeper,
      onRefused: (error) => {
        if (stopped) return;
        // the service's reason, for the CRM's developers: expired, wrong signature...
        console.warn(`crm_whatsapp: the service refused the widget's token: ${error.message}`);
        const expired = source || tokenExpired(keeper.token) || /expired/i.test(error.message);
        end(expired ? 'widget.expired' : 'signin.invalid');
      },
    });
    message('signin.checking');
    (async () => {
      if (keeper.stale && source && !(await keeper.renew())) {
        end(tokenExpired(keeper.token) ? 'widget.expired' : 'widget.token_failed');
        return;
      }
      const me = await service.whoAmI();
      if (stopped) return;
      if (me.client_id && me.client_id !== clientId) {
        end('widget.wrong_client', { token: me.client_id, client: clientId });
        return;
      }
      if (!me.client_id) {
        console.warn(
          'crm_whatsapp: this widget token sees every client; mint one per page view with ' +
            `client_id "${clientId}" (docs/agents.md)`,
        );
      }
      service.asAgent = me.actor.kind === 'agent';
      stopAll = this.show(service, clientId, me, link);
      keeper.watch(() => service.whoAmI());
    })().catch((error) => {
      if (stopped) return;
      end(error instanceof ApiError && error.status === 0 ? 'signin.network' : 'signin.server');
    });
    return () => {
      stopped = true;
      keeper.stop();
      stopAll();
    };
  }

  /**
   * The list and the chat, once the token is known to be for this client.
   * @param {WidgetService} service
   * @param {string} clientId
   * @param {MeOut} me
   * @param {HTMLElement} link the stylesheet
   * @returns {() => void} what stops them
   */
  show(service, clientId, me, link) {
    const layout = h('div', { class: 'layout' });
    const indicator = new LiveIndicator();
    const title = h('h2', { class: 'list-title' }, t('widget.title'));
    const agent = h('p', { class: 'widget-agent muted' });
    // "Enviar WhatsApp": a template to this client (the API picks its number), with `reply`
    const starter = newConversationButton({
      service,
      host: () => layout,
      label: 'widget.send_whatsapp',
      client: () => ({ id: clientId, name: '' }),
      onStarted: ({ conversation }) => {
        list.refresh(conversation.id);
        list.select(conversation.id);
        layout.classList.add('show-chat');
        chat.open(conversation.id, conversation);
      },
    });
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
      h(
        'div',
        { class: 'list-head' },
        title,
        me.scopes.includes('reply') && starter.element,
        indicator.element,
      ),
      me.actor.kind === 'agent' && agent,
      list.element,
    );
    layout.append(listPane, h('div', { class: 'pane pane-chat' }, chat.element));
    const onLanguage = () => {
      title.textContent = t('widget.title');
      listPane.setAttribute('aria-label', t('widget.title'));
      agent.textContent = t('widget.as_agent', { name: me.actor.name });
    };
    onLanguage();
    window.addEventListener('languagechange', onLanguage);
    this.root.adoptedStyleSheets = [limits(me)];
    this.root.replaceChildren(link, h('div', { class: 'widget' }, layout));

    list.reload();
    const stream = followListAndChat(service, indicator, list, chat);
    return () => {
      stream.abort();
      list.destroy();
      chat.destroy();
      indicator.destroy();
      starter.destroy();
      window.removeEventListener('languagechange', onLanguage);
    };
  }
}

if (!customElements.get('crm-whatsapp-conversations')) {
  customElements.define('crm-whatsapp-conversations', CrmWhatsappConversations);
}
