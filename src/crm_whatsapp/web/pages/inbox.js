// @ts-check
// The inbox page: sign-in, then the conversation list and the chat side by side (one at a
// time on a phone), kept current by one live event stream; the header says who is signed
// in (an agent, or the service) and, to a token that may manage the channel, when the
// WhatsApp channel needs attention (views/channel-health.js).
import { ConversationsService, clearToken, loadToken } from '../lib/conversaciones-whatsapp.js';
import { ChannelHealthIndicator } from '../views/channel-health.js';
import { ChatView } from '../views/chat.js';
import { ConversationList } from '../views/conversation-list.js';
import { h } from '../lib/dom.js';
import { FilterForm, filtersFromUrl, matchesFilters, writeUrl } from '../views/filters.js';
import { renderHeader } from '../views/header.js';
import { t } from '../lib/i18n.js';
import { identityOf, rememberIdentity } from '../lib/identity.js';
import { LiveIndicator, followListAndChat } from '../views/live-indicator.js';
import { newConversationButton } from '../views/new-conversation-dialog.js';
import { renderSignIn, safeNext, takeTokenFromFragment } from '../views/signin.js';
import { WhoAmI } from '../views/whoami.js';

/**
 * @typedef {import('../lib/conversaciones-whatsapp.js').ConversationOut} ConversationOut
 * @typedef {import('../lib/conversaciones-whatsapp.js').MeOut} MeOut
 * @typedef {import('../lib/identity.js').Identity} Identity
 */

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
    onSignedIn: (_token, me) => {
      if (next) window.location.assign(next);
      else startInbox(me);
    },
  });
}

/** @param {MeOut | null} [me] who signed in, when the sign-in screen already asked */
function startInbox(me = null) {
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
  if (me) rememberIdentity(service, me);
  let filters = filtersFromUrl();
  let openId = new URLSearchParams(window.location.search).get('conversation');
  /** @type {Identity | null} */
  let identity = null;

  const main = h('main', { class: 'inbox', id: 'main' });
  const layout = h('div', { class: 'layout' });
  const indicator = new LiveIndicator();
  const health = new ChannelHealthIndicator({ service });
  let healthOn = false;
  const whoami = new WhoAmI();
  const title = h('h1', { class: 'list-title' }, t('list.label'));
  // "Nueva conversación": write first to a number or a CRM client, with a template
  const starter = newConversationButton({
    service,
    host: () => main,
    label: 'newconv.open',
    onStarted: ({ conversation }) => {
      list.refresh(conversation.id);
      openConversation(conversation.id, conversation);
    },
  });

  const list = new ConversationList({
    service,
    fetchPage: (cursor, limit) => service.listConversations(filters, cursor, limit),
    matches: (conversation) => matchesFilters(filters, conversation, identity?.agentId),
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
    h('div', { class: 'list-head' }, title, starter.element, indicator.element),
    form.element,
    list.element,
  );
  title.id = 'list-title';
  const chatPane = h('div', { class: 'pane pane-chat' }, chat.element);
  layout.append(listPane, chatPane);
  main.append(layout);
  root.replaceChildren(
    h('a', { class: 'skip-link', href: '#main' }, t('nav.skip')),
    renderHeader('inbox', [whoami.element, health.element]),
    main,
  );
  document.title = `${t('nav.inbox')} · ${t('app.name')}`;
  const onLanguage = () => {
    title.textContent = t('list.label');
    document.title = `${t('nav.inbox')} · ${t('app.name')}`;
  };
  window.addEventListener('languagechange', onLanguage);

  const known = identityOf(service).then((answer) => {
    identity = answer;
    whoami.set(answer);
    starter.setIdentity(answer);
    form.setIdentity(answer);
    if (answer.can('manage')) {
      healthOn = true;
      health.start();
    }
    if (filters.assignee === 'me' && answer.me && !answer.isAgent) {
      // "Mías" means nothing to a service token (the API answers 400): show everything
      const { assignee: _mine, ...rest } = filters;
      filters = rest;
      form.filters = { ...rest };
      form.render();
      writeUrl(filters, openId);
    }
  });
  // "Mías" needs to know who "me" is; any other view loads at once
  if (filters.assignee === 'me') known.then(() => list.reload(), () => {});
  else list.reload();
  known.catch(() => {}); // a 401: the page signs out
  if (openId) openConversation(openId);

  const stream = followListAndChat(service, indicator, list, chat, () => {
    if (healthOn) health.nudge();
  });

  stopCurrent = () => {
    stream.abort();
    list.destroy();
    chat.destroy();
    indicator.destroy();
    health.destroy();
    whoami.destroy();
    form.destroy();
    starter.destroy();
    window.removeEventListener('languagechange', onLanguage);
  };
}

takeTokenFromFragment();
if (loadToken()) startInbox();
else showSignIn();
