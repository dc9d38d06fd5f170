// @ts-check
// The inbox page: sign-in, then the conversation list and the chat side by side (one at a
// time on a phone), kept current by one live event stream; the header says when the
// WhatsApp channel needs the admin's attention (views/channel-health.js).
import { ConversationsService, clearToken, loadToken } from '../lib/conversaciones-whatsapp.js';
import { ChannelHealthIndicator } from '../views/channel-health.js';
import { ChatView } from '../views/chat.js';
import { ConversationList } from '../views/conversation-list.js';
import { h } from '../lib/dom.js';
import { FilterForm, filtersFromUrl, matchesFilters, writeUrl } from '../views/filters.js';
import { renderHeader } from '../views/header.js';
import { t } from '../lib/i18n.js';
import { LiveIndicator, followListAndChat } from '../views/live-indicator.js';
import { renderSignIn, safeNext, takeTokenFromFragment } from '../views/signin.js';

/** @typedef {import('../lib/conversaciones-whatsapp.js').ConversationOut} ConversationOut */

const app = document.getElementById('app');
if (!app) throw new Error('index.html has no #app');
const root = app;
let stopCurrent = () => {};

/** @param {string | null} [notice] a message key to show above the form */
function showSignIn(notice = null) {
  stopCurrent();
  stopCurrent = () => {};
  document.title = `${t('signin.title')} · ${t('app.name')}`;
  const next = safeNext(new URLSearchParams(window.location.search).get('next'));
  stopCurrent = renderSignIn(root, {
    notice,
    onSignedIn: () => {
      if (next) window.location.assign(next);
      else startInbox();
    },
  });
}

function startInbox() {
  stopCurrent();
  let signedOut = false;
  const service = new ConversationsService({
    onUnauthorized: () => {
      if (signedOut) return;
      signedOut = true;
      clearToken();
      showSignIn('signin.expired');
    },
  });
  let filters = filtersFromUrl();
  let openId = new URLSearchParams(window.location.search).get('conversation');

  const main = h('main', { class: 'inbox', id: 'main' });
  const layout = h('div', { class: 'layout' });
  const indicator = new LiveIndicator();
  const health = new ChannelHealthIndicator({ service });
  const title = h('h1', { class: 'list-title' }, t('list.label'));

  const list = new ConversationList({
    service,
    fetchPage: (cursor, limit) => service.listConversations(filters, cursor, limit),
    matches: (conversation) => matchesFilters(filters, conversation),
    onSelect: (id, conversation) => openConversation(id, conversation),
  });
  const chat = new ChatView({
    service,
    onBack: () => {
      layout.classList.remove('show-chat');
      openId = null;
      list.select(null);
      writeUrl(filters, null);
      chat.close();
      /** @type {HTMLElement | null} */
      const row = list.element.querySelector('[tabindex="0"]');
      row?.focus();
    },
    onConversation: (conversation) => list.update(conversation),
  });
  const form = new FilterForm({
    filters,
    onChange: (next) => {
      filters = next;
      writeUrl(filters, openId);
      list.reload();
    },
  });

  /**
   * @param {string} id
   * @param {ConversationOut | null} [known]
   */
  function openConversation(id, known = null) {
    openId = id;
    list.select(id);
    layout.classList.add('show-chat');
    writeUrl(filters, id);
    chat.open(id, known);
    if (listPane.offsetParent === null) chat.focusStart(); // one pane at a time: phone width
  }

  const listPane = h(
    'section',
    { class: 'pane pane-list', 'aria-labelledby': 'list-title' },
    h('div', { class: 'list-head' }, title, indicator.element),
    form.element,
    list.element,
  );
  title.id = 'list-title';
  const chatPane = h('div', { class: 'pane pane-chat' }, chat.element);
  layout.append(listPane, chatPane);
  main.append(layout);
  root.replaceChildren(
    h('a', { class: 'skip-link', href: '#main' }, t('nav.skip')),
    renderHeader('inbox', [health.element]),
    main,
  );
  document.title = `${t('nav.inbox')} · ${t('app.name')}`;
  const onLanguage = () => {
    title.textContent = t('list.label');
    document.title = `${t('nav.inbox')} · ${t('app.name')}`;
  };
  window.addEventListener('languagechange', onLanguage);

  list.reload();
  if (openId) openConversation(openId);

  const stream = followListAndChat(service, indicator, list, chat, () => health.nudge());
  health.start();

  stopCurrent = () => {
    stream.abort();
    list.destroy();
    chat.destroy();
    indicator.destroy();
    health.destroy();
    form.destroy();
    window.removeEventListener('languagechange', onLanguage);
  };
}

takeTokenFromFragment();
if (loadToken()) startInbox();
else showSignIn();
