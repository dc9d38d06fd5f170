// @ts-check
// The chat view: header with the conversation's state and actions, a windowed list of the
// messages interleaved with the team's activity (long chats keep only what is on screen in
// the DOM), and the composer.
import { ActivityLog, entryTime } from '../lib/activity-log.js';
import { ApiError, messageOf } from '../lib/conversaciones-whatsapp.js';
import { activityAnnouncement, activityHeight, activityRow, shownInChat } from './activity-view.js';
import { chooseAgent } from './assign-dialog.js';
import { renderChatHeader } from './chat-header.js';
import { Composer, agentName } from './composer.js';
import { h } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { identityOf } from '../lib/identity.js';
import { chooseClient } from './link-dialog.js';
import { keepLink } from '../lib/media-links.js';
import { keepPlayer, mediaHeight } from './media-view.js';
import { MessagePages } from '../lib/message-pages.js';
import { announcement, dayKey, dayRow, messageRow } from './message-view.js';
import { VirtualList } from '../lib/virtual-list.js';

/**
 * @typedef {import('../lib/conversaciones-whatsapp.js').ConversationsService} ConversationsService
 * @typedef {import('../lib/conversaciones-whatsapp.js').ConversationOut} ConversationOut
 * @typedef {import('../lib/conversaciones-whatsapp.js').MessageOut} MessageOut
 * @typedef {import('../lib/conversaciones-whatsapp.js').DeliveryOut} DeliveryOut
 * @typedef {import('../lib/conversaciones-whatsapp.js').LiveEvent} LiveEvent
 * @typedef {import('../lib/conversaciones-whatsapp.js').ActivityOut} ActivityOut
 * @typedef {import('../lib/identity.js').Identity} Identity
 * @typedef {import('./media-view.js').MediaContext} MediaContext
 * @typedef {import('./chat-header.js').DoneText} DoneText
 * @typedef {{ key: string, type: 'day', at: string, movable: true }} DayRow
 * @typedef {{ key: string, type: 'message', message: MessageOut, movable?: false }} MessageRow
 * @typedef {{ key: string, type: 'activity', entry: ActivityOut, movable?: false }} ActivityRow
 * @typedef {DayRow | MessageRow | ActivityRow} ChatRow
 */

const PAGE = 50;
/** @type {Readonly<Record<string, number>>} */
const ORDER = { pending: 0, sent: 1, delivered: 2, read: 3, failed: 4 };

/** @param {MessageOut} message */
function rank(message) {
  const status = message.delivery?.status;
  return (status && ORDER[status]) ?? -1;
}

/**
 * @typedef {object} Timed a message or an activity entry, with its times parsed
 * @property {number} time
 * @property {number} created
 * @property {string} id
 * @property {string} at the ISO time its day separator shows
 * @property {MessageRow | ActivityRow} row
 */

/**
 * Messages and activity entries in time order. Dates are parsed once per item, not once
 * per comparison: a 10,000-message chat is re-sorted every time an older page arrives.
 * @param {Iterable<MessageOut>} messages
 * @param {Iterable<ActivityOut>} entries
 * @returns {Timed[]}
 */
function inTimeOrder(messages, entries) {
  /** @type {Timed[]} */
  const keyed = Array.from(messages, (message) => ({
    time: Date.parse(message.sent_at) || 0,
    created: Date.parse(message.created_at || message.sent_at) || 0,
    id: message.id,
    at: message.sent_at,
    row: { key: `m:${message.id}`, type: 'message', message },
  }));
  for (const entry of entries) {
    const time = entryTime(entry);
    const row = /** @type {ActivityRow} */ ({ key: `a:${entry.id}`, type: 'activity', entry });
    keyed.push({ time, created: time, id: entry.id, at: entry.at, row });
  }
  keyed.sort(
    (a, b) => a.time - b.time || a.created - b.created || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
  return keyed;
}

/**
 * The time of the oldest message in ms (Infinity when there is none).
 * @param {Iterable<MessageOut>} messages
 */
function oldestTime(messages) {
  let oldest = Infinity;
  for (const message of messages) oldest = Math.min(oldest, Date.parse(message.sent_at) || 0);
  return oldest;
}

export class ChatView {
  /**
   * onBack() for the phone layout's back button; onConversation(conversation) whenever
   * this view learns a newer state of the open conversation (to update the list).
   * @param {{
   *   service: ConversationsService,
   *   onBack?: () => void,
   *   onConversation?: (conversation: ConversationOut) => void,
   * }} options
   */
  constructor({ service, onBack = () => {}, onConversation = () => {} }) {
    this.service = service;
    this.onBack = onBack;
    this.onConversation = onConversation;
    /** @type {string | null} */
    this.conversationId = null;
    /** @type {ConversationOut | null} */
    this.conversation = null;
    /** @type {Map<string, MessageOut>} by id */
    this.messages = new Map();
    /** @type {Map<string, MessageOut>} by WhatsApp id, for quoted replies */
    this.byWamid = new Map();
    /** @type {string | null} */
    this.nextCursor = null;
    this.loadingOlder = false;
    this.loaded = false;
    this.generation = 0;
    /** @type {Promise<void> | null} */
    this.refreshing = null;
    this.refreshAgain = false;
    this.refreshConversationToo = false;
    this.notice = { text: '', error: false };
    /** @type {Identity | null} who is signed in (null until `/yo` answers) */
    this.identity = null;
    /** the team's activity beside the messages */
    this.log = new ActivityLog({
      fetchPage: (cursor) => this.service.activity(this.conversationId || '', cursor, PAGE),
    });

    this.header = h('div', { class: 'chat-header' });
    this.noticeLine = h('p', { class: 'chat-notice', role: 'status' });
    this.topStatus = h('p', { class: 'chat-top muted' });
    this.list = h('div', { class: 'vl-content' });
    this.viewport = h(
      'div',
      { class: 'messages', tabindex: '0', role: 'region', 'aria-label': t('chat.messages') },
      this.topStatus,
      this.list,
    );
    this.live = h('div', { class: 'sr-only', 'aria-live': 'polite', 'aria-atomic': 'false' });
    this.composer = new Composer({
      service,
      onSent: (message) => this.sent(message),
      onNoted: (entry) => this.noted(entry),
      onStale: () => this.refreshConversation(),
    });
    this.empty = h('p', { class: 'chat-empty' }, t('chat.empty'));
    this.body = h(
      'section',
      { class: 'chat-body' },
      this.header,
      this.noticeLine,
      this.viewport,
      this.composer.element,
    );
    this.element = h('div', { class: 'chat' }, this.empty, this.body, this.live);
    this.body.hidden = true;
    // files dropped on the chat or pasted into it are attached to the reply
    this.composer.attachments.listen(this.body);
    /** @type {(items: MessageOut[], freshLinks?: ReadonlySet<string>) => void} */
    const update = (items, freshLinks) => {
      const stick = this.virtual.atBottom();
      this.merge(items, freshLinks);
      this.rebuild({ stickToBottom: stick });
    };
    this.pages = new MessagePages({
      fetchPage: (cursor) => this.service.messages(this.conversationId || '', cursor, PAGE),
      apply: update,
    });
    /** @type {MediaContext} how bubbles show files, retry them and renew their links */
    this.media = {
      service,
      onChanged: (message) => update([message]),
      onStale: (message) => this.pages.again(message.id, { freshLink: true }),
    };
    /** @type {VirtualList<ChatRow>} */
    this.virtual = new VirtualList({
      viewport: this.viewport,
      content: this.list,
      renderRow: (row) => {
        if (row.type === 'day') return dayRow(row.at);
        if (row.type === 'activity') return activityRow(row.entry);
        return messageRow(row.message, this.byWamid, this.media);
      },
      estimate: (row) => {
        if (row.type === 'day') return 40;
        if (row.type === 'activity') return activityHeight(row.entry);
        return 72 + mediaHeight(row.message);
      },
      same: (a, b) => {
        if (a === undefined || a.type !== b.type) return false;
        if (a.type === 'message') return b.type === 'message' && a.message === b.message;
        if (a.type === 'activity') return b.type === 'activity' && a.entry === b.entry;
        return true;
      },
      carry: keepPlayer,
      onNearTop: () => this.loadOlder(),
    });
    this.onLanguage = () => {
      this.empty.textContent = t('chat.empty');
      this.viewport.setAttribute('aria-label', t('chat.messages'));
      this.renderHeader();
      this.renderTop();
      this.virtual.refreshAll();
    };
    window.addEventListener('languagechange', this.onLanguage);
    identityOf(service).then(
      (identity) => this.setIdentity(identity),
      () => {}, // a 401: the page signs out
    );
  }

  /**
   * Who is signed in: decides the actions shown and whether replies name an agent.
   * @param {Identity} identity
   */
  setIdentity(identity) {
    this.identity = identity;
    this.composer.setIdentity(identity);
    this.renderHeader();
  }

  destroy() {
    this.generation += 1;
    this.virtual.destroy();
    this.composer.destroy();
    window.removeEventListener('languagechange', this.onLanguage);
  }

  close() {
    this.generation += 1;
    this.conversationId = null;
    this.conversation = null;
    this.messages.clear();
    this.byWamid.clear();
    this.pages.forget();
    this.log.forget();
    this.virtual.setRows([]);
    this.body.hidden = true;
    this.empty.hidden = false;
    this.composer.setConversation(null);
  }

  /**
   * @param {string} id
   * @param {ConversationOut | null} [known] what the list already knows of it
   */
  async open(id, known = null) {
    this.generation += 1;
    const generation = this.generation;
    this.conversationId = id;
    this.conversation = known;
    this.messages.clear();
    this.byWamid.clear();
    this.pages.forget();
    this.log.forget();
    this.nextCursor = null;
    this.loaded = false;
    this.loadingOlder = false;
    this.notice = { text: '', error: false };
    this.empty.hidden = true;
    this.body.hidden = false;
    this.renderNotice();
    this.renderHeader();
    this.renderTop();
    this.virtual.setRows([]);
    this.composer.setConversation(known);
    try {
      const [conversation, page] = await Promise.all([
        this.service.conversation(id),
        this.service.messages(id, null, PAGE),
        // the log is the chat's side note: the messages show even if it cannot be read
        this.log.refresh().catch(() => []),
      ]);
      if (generation !== this.generation) return;
      this.conversation = conversation;
      this.nextCursor = page.next_cursor;
      this.loaded = true;
      this.pages.note(page.items, null);
      this.merge(page.items);
      this.renderHeader();
      this.renderTop();
      this.rebuild({ stickToBottom: true });
      this.composer.setConversation(conversation);
      this.onConversation(conversation);
      this.reachBack();
    } catch (error) {
      if (generation !== this.generation) return;
      this.showNotice(messageOf(error) || t('error.network'), true);
    }
  }

  /**
   * The time (ms) from which activity entries can be shown in place: the oldest message
   * loaded, or null once the chat is loaded to its start.
   * @returns {number | null}
   */
  activitySince() {
    return this.nextCursor ? oldestTime(this.messages.values()) : null;
  }

  /** Read older activity pages until the log reaches as far back as the messages. */
  async reachBack() {
    const generation = this.generation;
    try {
      await this.log.reachBack(this.activitySince());
    } catch {
      return; // shown again with the next page of messages
    }
    if (generation !== this.generation) return;
    this.rebuild({ stickToBottom: this.virtual.atBottom() });
  }

  /**
   * Fetch the newest activity page again (a live `activity_recorded`, an action done) and
   * merge it; announce what someone else did.
   */
  async refreshActivity() {
    const generation = this.generation;
    if (!this.conversationId) return;
    const stick = this.virtual.atBottom();
    let fresh;
    try {
      fresh = await this.log.refresh();
    } catch {
      return; // the next event or reload fetches it again
    }
    if (generation !== this.generation || !fresh.length) return;
    this.rebuild({ stickToBottom: stick });
    const mine = this.identity?.agentId;
    for (const entry of fresh) {
      if (!shownInChat(entry) || (mine && entry.actor.id === mine)) continue;
      this.announce(activityAnnouncement(entry));
    }
  }

  /**
   * A private note just written here (the API's answer): shown at once.
   * @param {ActivityOut} entry
   */
  noted(entry) {
    if (entry.conversation_id !== this.conversationId) return;
    this.log.merge([entry]);
    this.rebuild({ stickToBottom: true });
  }

  /** At phone width the list disappears: put the keyboard focus where the chat starts. */
  focusStart() {
    /** @type {HTMLButtonElement | null} */ (this.header.querySelector('.chat-back'))?.focus();
  }

  /** Reload what is shown (after a resync or a reconnection). */
  reload() {
    if (!this.conversationId) return;
    this.refreshNewest({ conversationToo: true });
    this.refreshActivity();
  }

  /**
   * Add or update messages by id; returns the ones not seen before. A stored message object
   * is replaced only when its content changed, so unchanged bubbles are not rendered again
   * (a file's link, signed anew on every listing, counts as unchanged while the old one is
   * good, unless the message is in `freshLinks`).
   * @param {MessageOut[]} items
   * @param {ReadonlySet<string>} [freshLinks]
   * @returns {MessageOut[]}
   */
  merge(items, freshLinks = new Set()) {
    /** @type {MessageOut[]} */
    const fresh = [];
    const arrived = new Set();
    for (const incoming of items) {
      const old = this.messages.get(incoming.id);
      let message = freshLinks.has(incoming.id) ? incoming : keepLink(old, incoming);
      if (old && rank(old) > rank(incoming)) {
        // an answer older than a live status event already applied: keep the newer status
        message = { ...message, delivery: old.delivery };
      }
      if (!old) fresh.push(message);
      if (old && JSON.stringify(old) === JSON.stringify(message)) continue;
      this.messages.set(message.id, message);
      if (message.wamid) {
        this.byWamid.set(message.wamid, message);
        arrived.add(message.wamid);
      }
    }
    // a reply whose quoted message just arrived can now show it
    for (const message of this.messages.values()) {
      if (message.reply_to_wamid && arrived.has(message.reply_to_wamid)) {
        this.messages.set(message.id, { ...message });
      }
    }
    return fresh;
  }

  /** @returns {ChatRow[]} */
  rows() {
    const entries = this.log.visible(this.activitySince()).filter(shownInChat);
    const sorted = inTimeOrder(this.messages.values(), entries);
    /** @type {ChatRow[]} */
    const rows = [];
    let day = null;
    for (const item of sorted) {
      const key = dayKey(item.at);
      if (key !== day) {
        day = key;
        rows.push({ key: `day:${key}`, type: 'day', at: item.at, movable: true });
      }
      rows.push(item.row);
    }
    return rows;
  }

  /** @param {{ stickToBottom?: boolean }} [options] */
  rebuild({ stickToBottom = false } = {}) {
    this.virtual.setRows(this.rows(), { stickToBottom });
  }

  async loadOlder() {
    if (!this.loaded || this.loadingOlder || !this.nextCursor || !this.conversationId) return;
    const generation = this.generation;
    this.loadingOlder = true;
    this.renderTop();
    try {
      const cursor = this.nextCursor;
      const page = await this.service.messages(this.conversationId, cursor, PAGE);
      if (generation !== this.generation) return;
      this.nextCursor = page.next_cursor;
      this.pages.note(page.items, cursor);
      this.merge(page.items);
      this.loadingOlder = false;
      this.renderTop();
      this.rebuild();
      this.reachBack();
    } catch (error) {
      if (generation !== this.generation) return;
      this.loadingOlder = false;
      this.renderTop();
      this.showNotice(messageOf(error) || t('error.network'), true);
    }
  }

  renderTop() {
    let text = '';
    if (!this.loaded) text = t('chat.loading');
    else if (this.loadingOlder) text = t('chat.older');
    else if (!this.nextCursor) text = t('chat.start');
    this.topStatus.textContent = text;
  }

  /**
   * Fetch the newest page and merge it by id (coalesced: one request in flight).
   * @param {{ conversationToo?: boolean }} [options]
   * @returns {Promise<void>}
   */
  async refreshNewest({ conversationToo = false } = {}) {
    if (this.refreshing) {
      this.refreshAgain = true;
      this.refreshConversationToo ||= conversationToo;
      return this.refreshing;
    }
    const run = async () => {
      const generation = this.generation;
      const id = this.conversationId;
      if (!id) return;
      const stick = this.virtual.atBottom();
      const page = await this.service.messages(id, null, PAGE);
      if (generation !== this.generation) return;
      this.pages.note(page.items, null);
      const fresh = this.merge(page.items);
      if (!this.loaded) {
        this.loaded = true;
        this.nextCursor = page.next_cursor;
        this.renderTop();
      }
      this.rebuild({ stickToBottom: stick });
      const name = this.conversation?.display_name || '';
      for (const message of fresh.filter((m) => m.direction === 'inbound')) {
        this.announce(announcement(message, name));
      }
      if (conversationToo) await this.refreshConversation();
    };
    this.refreshing = run()
      .catch((error) => this.showNotice(messageOf(error) || t('error.network'), true))
      .finally(() => {
        this.refreshing = null;
        if (this.refreshAgain) {
          this.refreshAgain = false;
          const also = this.refreshConversationToo;
          this.refreshConversationToo = false;
          this.refreshNewest({ conversationToo: also });
        }
      });
    return this.refreshing;
  }

  async refreshConversation() {
    const id = this.conversationId;
    if (!id) return;
    const generation = this.generation;
    try {
      const conversation = await this.service.conversation(id);
      if (generation !== this.generation) return;
      this.setConversation(conversation);
    } catch (error) {
      if (generation === this.generation) {
        this.showNotice(messageOf(error) || t('error.network'), true);
      }
    }
  }

  /** @param {ConversationOut} conversation */
  setConversation(conversation) {
    if (conversation.id !== this.conversationId) return;
    this.conversation = conversation;
    this.renderHeader();
    this.composer.setConversation(conversation);
    this.onConversation(conversation);
  }

  /**
   * A live event from the stream (any conversation: others are ignored).
   * @param {LiveEvent} event
   */
  handleEvent(event) {
    if (!this.conversationId) return;
    if (event.type === 'resync') {
      this.reload();
      return;
    }
    if (event.conversation_id !== this.conversationId) return;
    if (event.type === 'message_stored') {
      this.refreshNewest({ conversationToo: true });
    } else if (event.type === 'conversation_changed') {
      this.refreshConversation();
    } else if (event.type === 'activity_recorded') {
      // no endpoint gives one entry: the newest page is read again and merged by id
      this.refreshActivity();
    } else if (event.type === 'media_status_changed') {
      // a file was fetched (or failed): list its message again, wherever its page is
      const cursor = event.message_id ? this.pages.cursorOf(event.message_id) : undefined;
      if (event.message_id && typeof cursor === 'string') {
        this.pages.again(event.message_id).catch((error) => {
          this.showNotice(messageOf(error) || t('error.network'), true);
        });
      } else {
        this.refreshNewest();
      }
    } else if (event.type === 'delivery_status_changed') {
      const message = event.message_id ? this.messages.get(event.message_id) : null;
      // a failure's reason is not in the event: fetch the message's page to show it
      if (message && event.status && event.status !== 'failed') {
        this.setStatus(message, event.status);
      } else {
        this.refreshNewest();
      }
    }
  }

  /**
   * @param {MessageOut} message
   * @param {string} status the new delivery status, from a live event
   */
  setStatus(message, status) {
    const current = message.delivery?.status || 'pending';
    if ((ORDER[status] ?? -1) <= (ORDER[current] ?? -1)) return; // never backwards
    // only the status is known from the event: the rest of the delivery stays as it was
    const delivery = /** @type {DeliveryOut} */ ({ ...(message.delivery || {}), status });
    const updated = { ...message, delivery };
    this.messages.set(message.id, updated);
    if (updated.wamid) this.byWamid.set(updated.wamid, updated);
    const key = `m:${message.id}`;
    this.virtual.refreshRow(key, { key, type: 'message', message: updated });
  }

  /** @param {MessageOut} message */
  sent(message) {
    this.pages.note([message], null);
    this.merge([message]);
    this.rebuild({ stickToBottom: true });
    this.refreshConversation();
  }

  /** @param {string} text */
  announce(text) {
    this.live.append(h('p', {}, text));
    while (this.live.childElementCount > 3) this.live.firstElementChild?.remove();
  }

  /**
   * @param {string} text
   * @param {boolean} [error]
   */
  showNotice(text, error = false) {
    this.notice = { text, error };
    this.renderNotice();
  }

  renderNotice() {
    this.noticeLine.textContent = this.notice.text;
    this.noticeLine.classList.toggle('error', this.notice.error);
    this.noticeLine.setAttribute('role', this.notice.error ? 'alert' : 'status');
    this.noticeLine.hidden = !this.notice.text;
  }

  /**
   * Run an action on the open conversation and show what it did (and its log entry).
   * @param {(id: string) => Promise<ConversationOut>} run
   * @param {DoneText} doneText
   */
  async act(run, doneText) {
    const id = this.conversationId;
    const generation = this.generation;
    if (!id) return;
    try {
      const conversation = await run(id);
      if (generation !== this.generation) return;
      this.setConversation(conversation);
      this.showNotice(typeof doneText === 'function' ? doneText(conversation) : doneText);
      this.refreshActivity();
    } catch (error) {
      if (generation !== this.generation) return;
      this.renderHeader(); // a select shows the state it had again
      if (error instanceof ApiError && error.status === 401) return;
      this.showNotice(messageOf(error) || t('error.network'), true);
    }
  }

  /** "Asignar a…": ask for the agent's name (and id), then assign. */
  async assignOther() {
    const root = this.element.getRootNode();
    const suggestion = this.identity?.isAgent ? '' : agentName();
    const agent = await chooseAgent(this.element, { name: suggestion });
    if (!agent) {
      if (root instanceof Document || root instanceof ShadowRoot) {
        /** @type {HTMLButtonElement | null} */
        const opener = root.querySelector('.action-assign-other');
        opener?.focus();
      }
      return;
    }
    await this.act(
      (id) => this.service.assign(id, agent),
      (conversation) =>
        t('action.done.assign', { agent: conversation.assigned_agent || agent.name }),
    );
  }

  async linkClient() {
    const root = this.element.getRootNode();
    const client = await chooseClient(this.element, this.service);
    if (!client) {
      // give focus back to where the dialog was opened from
      if (root instanceof Document || root instanceof ShadowRoot) {
        /** @type {HTMLButtonElement | null} */ (root.querySelector('.action-link'))?.focus();
      }
      return;
    }
    await this.act(
      (id) => this.service.linkClient(id, client.id),
      (conversation) => t('action.done.link', { name: conversation.client?.name || client.name }),
    );
  }

  renderHeader() {
    if (!this.conversationId) {
      this.header.replaceChildren();
      return;
    }
    const titleId = renderChatHeader(this.header, this.conversation, {
      service: this.service,
      identity: this.identity,
      agentName: agentName(),
      onBack: () => this.onBack(),
      act: (run, done) => this.act(run, done),
      linkClient: () => this.linkClient(),
      assignOther: () => this.assignOther(),
      explain: (text) => this.showNotice(text, true),
    });
    if (titleId) this.body.setAttribute('aria-labelledby', titleId);
  }
}
