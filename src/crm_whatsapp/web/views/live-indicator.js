// @ts-check
// The small "live / reconnecting" badge next to the list title.
import { h } from '../lib/dom.js';
import { t } from '../lib/i18n.js';

/**
 * @typedef {import('../lib/conversaciones-whatsapp.js').ConversationsService} ConversationsService
 * @typedef {import('../lib/conversaciones-whatsapp.js').LiveEvent} LiveEvent
 * @typedef {import('../lib/conversaciones-whatsapp.js').StreamStatus} StreamStatus
 * @typedef {import('./conversation-list.js').ConversationList} ConversationList
 * @typedef {import('./chat.js').ChatView} ChatView
 */

export class LiveIndicator {
  constructor() {
    /** @type {StreamStatus | 'connecting'} */
    this.state = 'connecting';
    this.element = h('span', { class: 'live', role: 'status', dataset: { state: this.state } });
    this.onLanguage = () => this.render();
    window.addEventListener('languagechange', this.onLanguage);
    this.render();
  }

  /** @param {StreamStatus} state */
  set(state) {
    this.state = state;
    this.render();
  }

  render() {
    this.element.dataset.state = this.state;
    this.element.replaceChildren(
      h('span', { class: 'live-dot', 'aria-hidden': 'true' }),
      t(`live.${this.state}`),
    );
  }

  destroy() {
    window.removeEventListener('languagechange', this.onLanguage);
  }
}

/**
 * Follow the event stream; after a reconnection, call onResync (events were missed).
 * Returns an AbortController that stops it.
 * @param {ConversationsService} service
 * @param {LiveIndicator} indicator
 * @param {{ onEvent: (event: LiveEvent) => void, onResync: () => void }} handlers
 * @returns {AbortController}
 */
export function follow(service, indicator, { onEvent, onResync }) {
  const controller = new AbortController();
  let dropped = false;
  service
    .events({
      signal: controller.signal,
      onEvent,
      onStatus: (status) => {
        indicator.set(status);
        if (status === 'reconnecting') dropped = true;
        else if (status === 'live' && dropped) {
          dropped = false;
          onResync();
        }
      },
    })
    .catch(() => indicator.set('reconnecting'));
  return controller;
}

/**
 * The events a conversation list and a chat view both follow, in the inbox and in the
 * widget alike: a new message or change refreshes that conversation's row and reaches
 * the open chat; after a gap (resync, reconnection) both reload what they show.
 * @param {ConversationsService} service
 * @param {LiveIndicator} indicator
 * @param {ConversationList} list
 * @param {ChatView} chat
 * @param {() => void} [onAny] after any event or gap too (the inbox's channel health)
 * @returns {AbortController}
 */
export function followListAndChat(service, indicator, list, chat, onAny = () => {}) {
  const reloadBoth = () => {
    list.reload();
    chat.reload();
    onAny();
  };
  return follow(service, indicator, {
    onEvent: (event) => {
      if (event.type === 'resync') {
        reloadBoth();
        return;
      }
      onAny();
      if (event.type === 'message_stored' || event.type === 'conversation_changed') {
        if (event.conversation_id) list.refresh(event.conversation_id);
      }
      chat.handleEvent(event);
    },
    onResync: reloadBoth,
  });
}
