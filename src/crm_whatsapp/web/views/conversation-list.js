// @ts-check
// The conversation list: rows from pages of 50, more pages as the user scrolls, keyboard
// navigation with a roving tabindex, and in-place updates from live events.
import { ApiError, messageOf } from '../lib/conversaciones-whatsapp.js';
import { activeElementOf, h, srOnly } from '../lib/dom.js';
import { formatShort, t } from '../lib/i18n.js';

/**
 * @typedef {import('../lib/conversaciones-whatsapp.js').ConversationsService} ConversationsService
 * @typedef {import('../lib/conversaciones-whatsapp.js').ConversationOut} ConversationOut
 * @typedef {import('../lib/conversaciones-whatsapp.js').ConversationPage} ConversationPage
 */
/**
 * @typedef {object} ConversationListOptions
 * @property {ConversationsService} service
 * @property {(cursor: string | null, limit: number) => Promise<ConversationPage>} fetchPage
 * @property {(conversation: ConversationOut) => boolean | null} [matches]
 * @property {(id: string, conversation: ConversationOut) => void} onSelect
 * @property {(error: unknown) => void} [onError]
 * @property {string} [emptyKey] the text key for an empty list
 */

const PAGE = 50;
const PRELOAD_PX = 400;

/**
 * The number to show under a name: the phone, else WhatsApp's ids.
 * @param {ConversationOut} conversation
 * @returns {string}
 */
export function customerNumber(conversation) {
  /** @type {Partial<ConversationOut['customer']>} */
  const customer = conversation.customer || {};
  return customer.phone || (customer.wa_id ? `+${customer.wa_id}` : customer.user_id || '');
}

/**
 * A small text chip; `data-marker` names it for tests and styles.
 * @param {string} kind
 * @param {string} text
 * @param {string} [label]
 * @returns {HTMLSpanElement}
 */
export function marker(kind, text, label = text) {
  return h(
    'span',
    { class: ['marker', `marker-${kind}`], dataset: { marker: kind }, title: label },
    h('span', { 'aria-hidden': 'true' }, text),
    srOnly(label),
  );
}

/**
 * @param {ConversationOut} conversation
 * @returns {HTMLSpanElement[]}
 */
export function conversationMarkers(conversation) {
  const markers = [];
  if (conversation.client) {
    const name = conversation.client.name || conversation.client.id;
    markers.push(marker('linked', t('marker.linked'), t('list.linked', { name })));
  } else {
    markers.push(marker('unlinked', t('marker.unlinked'), t('list.unlinked')));
  }
  if (conversation.bot_paused) {
    const label = conversation.assigned_agent
      ? t('list.paused.by', { agent: conversation.assigned_agent })
      : t('list.paused');
    markers.push(marker('paused', t('marker.paused'), label));
  }
  if (conversation.assigned_agent) {
    const agent = conversation.assigned_agent;
    markers.push(marker('assignee', agent, t('list.assigned', { agent })));
  } else if (conversation.bot_paused) {
    markers.push(marker('unassigned', t('marker.unassigned'), t('list.unassigned')));
  }
  if (conversation.status && conversation.status !== 'open') {
    const status = t(`conversation.status.${conversation.status}`);
    const marked = marker(`status-${conversation.status}`, status, t('list.status', { status }));
    marked.dataset.status = conversation.status;
    markers.push(marked);
  }
  if (conversation.opted_out) {
    markers.push(marker('opted-out', t('marker.opted_out'), t('list.opted_out')));
  }
  return markers;
}

/** @param {string | null | undefined} name */
function initials(name) {
  const letters = String(name || '?')
    .trim()
    .split(/\s+/)
    .slice(0, 2)
    .map((word) => Array.from(word)[0] || '')
    .join('');
  return letters.toUpperCase() || '?';
}

export class ConversationList {
  /**
   * fetchPage(cursor) → {items, next_cursor}; matches(conversation) → true, false, or null
   * when the client cannot tell (a text search): then the first page is fetched again.
   * @param {ConversationListOptions} options
   */
  constructor({
    service,
    fetchPage,
    matches = () => true,
    onSelect,
    onError = () => {},
    emptyKey = 'list.empty',
  }) {
    this.emptyKey = emptyKey;
    this.service = service;
    this.fetchPage = fetchPage;
    this.matches = matches;
    this.onSelect = onSelect;
    this.onError = onError;
    /** @type {ConversationOut[]} */
    this.items = [];
    /** @type {string | null} */
    this.nextCursor = null;
    this.loading = false;
    this.loaded = false;
    /** @type {unknown} the last failure, until the next load */
    this.failed = null;
    /** @type {string | null} */
    this.selectedId = null;
    /** @type {string | null} */
    this.focusId = null;
    this.generation = 0;
    /** @type {Map<string, ReturnType<typeof setTimeout>>} */
    this.pendingRefresh = new Map();

    this.ul = h('ul', { class: 'conversation-list', on: { keydown: (e) => this.onKeyDown(e) } });
    this.status = h('p', { class: 'list-status', role: 'status' });
    this.sentinel = h('div', { class: 'list-sentinel', 'aria-hidden': 'true' });
    this.element = h('div', { class: 'list-scroller' }, this.ul, this.status, this.sentinel);
    this.observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((entry) => entry.isIntersecting)) this.loadMore();
      },
      { root: this.element, rootMargin: `${PRELOAD_PX}px` },
    );
    this.observer.observe(this.sentinel);
    this.onLanguage = () => this.render();
    window.addEventListener('languagechange', this.onLanguage);
  }

  destroy() {
    this.observer.disconnect();
    window.removeEventListener('languagechange', this.onLanguage);
    this.generation += 1;
  }

  async reload() {
    this.generation += 1;
    const generation = this.generation;
    this.loading = true;
    this.failed = null;
    this.renderStatus();
    try {
      const page = await this.fetchPage(null, PAGE);
      if (generation !== this.generation) return;
      this.items = page.items;
      this.nextCursor = page.next_cursor;
      this.loaded = true;
    } catch (error) {
      if (generation !== this.generation) return;
      this.failed = error;
      this.onError(error);
    } finally {
      if (generation === this.generation) this.loading = false;
    }
    this.element.scrollTop = 0;
    this.render();
    this.checkMore();
  }

  async loadMore() {
    if (this.loading || !this.nextCursor || !this.loaded) return;
    const generation = this.generation;
    this.loading = true;
    this.renderStatus();
    try {
      const page = await this.fetchPage(this.nextCursor, PAGE);
      if (generation !== this.generation) return;
      const known = new Set(this.items.map((item) => item.id));
      const fresh = page.items.filter((item) => !known.has(item.id));
      this.items = this.items.concat(fresh);
      this.nextCursor = page.next_cursor;
      for (const item of fresh) this.ul.appendChild(this.row(item));
    } catch (error) {
      if (generation !== this.generation) return;
      this.failed = error;
      this.onError(error);
    } finally {
      if (generation === this.generation) this.loading = false;
    }
    this.renderStatus();
    this.checkMore();
  }

  /** The observer only fires on changes: a short page may leave the sentinel in view. */
  checkMore() {
    if (!this.nextCursor || this.loading || this.failed) return;
    const { scrollHeight, scrollTop, clientHeight } = this.element;
    if (clientHeight > 0 && scrollHeight - scrollTop - clientHeight < PRELOAD_PX) {
      requestAnimationFrame(() => this.loadMore());
    }
  }

  /**
   * A live event named this conversation: fetch it and move it to the top (coalesced).
   * @param {string} id
   */
  refresh(id) {
    if (this.pendingRefresh.has(id)) return;
    this.pendingRefresh.set(
      id,
      setTimeout(() => {
        this.pendingRefresh.delete(id);
        this.refreshNow(id).catch((error) => this.onError(error));
      }, 150),
    );
  }

  /** @param {string} id */
  async refreshNow(id) {
    const generation = this.generation;
    let conversation;
    try {
      conversation = await this.service.conversation(id);
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) {
        this.remove(id);
        return;
      }
      throw error;
    }
    if (generation !== this.generation) return;
    const match = this.matches(conversation);
    const index = this.items.findIndex((item) => item.id === id);
    if (match === false) {
      this.remove(id);
    } else if (match === true || index >= 0) {
      this.moveToTop(conversation);
    } else {
      await this.mergeFirstPage();
    }
  }

  async mergeFirstPage() {
    const generation = this.generation;
    const page = await this.fetchPage(null, PAGE);
    if (generation !== this.generation) return;
    const first = new Set(page.items.map((item) => item.id));
    this.items = page.items.concat(this.items.filter((item) => !first.has(item.id)));
    this.render();
  }

  /**
   * Replace a conversation in place (after an action) without moving it.
   * @param {ConversationOut} conversation
   */
  update(conversation) {
    const index = this.items.findIndex((item) => item.id === conversation.id);
    if (index < 0) return;
    if (this.matches(conversation) === false) {
      this.remove(conversation.id);
      return;
    }
    this.items[index] = conversation;
    const old = this.rowElement(conversation.id);
    if (old) old.replaceWith(this.row(conversation));
  }

  /** @param {ConversationOut} conversation */
  moveToTop(conversation) {
    this.items = [conversation].concat(this.items.filter((item) => item.id !== conversation.id));
    const old = this.rowElement(conversation.id);
    const active = activeElementOf(this.ul);
    const hadFocus = Boolean(old && active && old.contains(active));
    old?.remove();
    const row = this.row(conversation);
    this.ul.insertBefore(row, this.ul.firstChild);
    if (hadFocus) row.querySelector('button')?.focus();
    this.renderStatus();
  }

  /** @param {string} id */
  remove(id) {
    this.items = this.items.filter((item) => item.id !== id);
    this.rowElement(id)?.remove();
    this.renderStatus();
  }

  /**
   * @param {string} id
   * @returns {ConversationOut | null}
   */
  get(id) {
    return this.items.find((item) => item.id === id) || null;
  }

  /** @param {string | null} id */
  select(id) {
    this.selectedId = id;
    if (id) this.focusId = id;
    for (const button of this.buttons()) {
      const selected = button.dataset.conversationId === id;
      if (selected) button.setAttribute('aria-current', 'true');
      else button.removeAttribute('aria-current');
    }
    this.updateTabStops();
  }

  /**
   * @param {string} id
   * @returns {HTMLLIElement | null}
   */
  rowElement(id) {
    for (const li of this.ul.children) {
      const button = li.firstChild;
      if (button instanceof HTMLElement && button.dataset.conversationId === id) {
        return /** @type {HTMLLIElement} */ (li);
      }
    }
    return null;
  }

  render() {
    const rows = this.items.map((item) => this.row(item));
    this.ul.replaceChildren(...rows);
    this.updateTabStops();
    this.renderStatus();
  }

  renderStatus() {
    let text = '';
    if (this.loading) text = this.loaded ? t('list.more') : t('list.loading');
    else if (this.failed) text = messageOf(this.failed) || t('error.network');
    else if (this.loaded && this.items.length === 0) text = t(this.emptyKey);
    else if (this.loaded && !this.nextCursor && this.items.length > PAGE) text = t('list.end');
    this.status.textContent = text;
    this.status.classList.toggle('error', Boolean(this.failed) && !this.loading);
  }

  /**
   * @param {ConversationOut} conversation
   * @returns {HTMLLIElement}
   */
  row(conversation) {
    const current = conversation.id === this.selectedId;
    const unread = conversation.unread_count > 0;
    const button = h(
      'button',
      {
        type: 'button',
        class: ['conversation-row', unread && 'unread'],
        dataset: { conversationId: conversation.id },
        'aria-current': current ? 'true' : null,
        tabindex: '-1',
        on: {
          click: () => {
            this.focusId = conversation.id;
            this.onSelect(conversation.id, conversation);
          },
          focus: () => {
            this.focusId = conversation.id;
            this.updateTabStops();
          },
        },
      },
      h('span', { class: 'avatar', 'aria-hidden': 'true' }, initials(conversation.display_name)),
      h(
        'span',
        { class: 'row-main' },
        h(
          'span',
          { class: 'row-line' },
          h(
            'span',
            { class: 'row-name' },
            conversation.display_name || customerNumber(conversation),
          ),
          h(
            'time',
            { class: 'row-time', datetime: conversation.last_activity_at },
            formatShort(conversation.last_activity_at),
          ),
        ),
        h(
          'span',
          { class: 'row-line' },
          h('span', { class: 'row-number' }, customerNumber(conversation)),
          h('span', { class: 'row-markers' }, conversationMarkers(conversation)),
        ),
        h(
          'span',
          { class: 'row-line' },
          h('span', { class: 'row-preview' }, conversation.last_preview || ''),
          unread &&
            h(
              'span',
              { class: 'badge', title: t('list.unread', { count: conversation.unread_count }) },
              h('span', { 'aria-hidden': 'true' }, String(conversation.unread_count)),
              srOnly(t('list.unread', { count: conversation.unread_count })),
            ),
        ),
      ),
    );
    return h('li', {}, button);
  }

  /** @returns {HTMLButtonElement[]} */
  buttons() {
    return Array.from(this.ul.querySelectorAll('button.conversation-row'));
  }

  /** Only one row is in the tab order; arrows move between rows. */
  updateTabStops() {
    const buttons = this.buttons();
    if (!buttons.length) return;
    const target =
      buttons.find((b) => b.dataset.conversationId === this.focusId) ||
      buttons.find((b) => b.dataset.conversationId === this.selectedId) ||
      buttons[0];
    for (const button of buttons) button.tabIndex = button === target ? 0 : -1;
  }

  /** @param {KeyboardEvent} event */
  onKeyDown(event) {
    const buttons = this.buttons();
    const index = event.target instanceof HTMLButtonElement ? buttons.indexOf(event.target) : -1;
    if (index < 0) return;
    let next = null;
    if (event.key === 'ArrowDown') next = Math.min(index + 1, buttons.length - 1);
    else if (event.key === 'ArrowUp') next = Math.max(index - 1, 0);
    else if (event.key === 'Home') next = 0;
    else if (event.key === 'End') next = buttons.length - 1;
    if (next === null) return;
    event.preventDefault();
    buttons[next].focus();
    buttons[next].scrollIntoView({ block: 'nearest' });
    if (next === buttons.length - 1) this.loadMore();
  }
}
