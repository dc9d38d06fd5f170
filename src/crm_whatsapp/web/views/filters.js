// @ts-check
// The filter form above the conversation list, mirrored in the page's query string so that
// a reload or a shared link keeps the same view. Above the search: whose conversations
// ("Mías" with an agent token, "Sin asignar") and their status.
import { h, uid } from '../lib/dom.js';
import { t } from '../lib/i18n.js';

/**
 * @typedef {import('../lib/conversaciones-whatsapp.js').ConversationOut} ConversationOut
 * @typedef {import('../lib/identity.js').Identity} Identity
 * @typedef {'client_id' | 'number' | 'since' | 'until' | 'linked' | 'bot_paused' | 'q' | 'status' | 'assignee'} FilterKey
 * @typedef {Partial<Record<FilterKey, string>>} Filters the filters as the URL holds them (text)
 */

/** @type {readonly FilterKey[]} */
export const FILTER_KEYS = [
  'assignee',
  'status',
  'client_id',
  'number',
  'since',
  'until',
  'linked',
  'bot_paused',
  'q',
];
/** @type {readonly FilterKey[]} */
const ADVANCED = ['client_id', 'number', 'since', 'until', 'linked', 'bot_paused'];
const STATUSES = ['open', 'pending', 'resolved'];

/**
 * @param {string} [search]
 * @returns {Filters}
 */
export function filtersFromUrl(search = window.location.search) {
  const params = new URLSearchParams(search);
  /** @type {Filters} */
  const filters = {};
  for (const key of FILTER_KEYS) {
    const value = params.get(key);
    if (value) filters[key] = value;
  }
  for (const key of /** @type {const} */ (['linked', 'bot_paused'])) {
    const value = filters[key];
    if (value && !['true', 'false'].includes(value)) delete filters[key];
  }
  for (const key of /** @type {const} */ (['since', 'until'])) {
    const value = filters[key];
    if (value && !/^\d{4}-\d{2}-\d{2}$/.test(value)) delete filters[key];
  }
  if (filters.status && !STATUSES.includes(filters.status)) delete filters.status;
  if (filters.assignee && filters.assignee.length > 200) delete filters.assignee;
  return filters;
}

/**
 * Write filters (and the open conversation) into the URL without a new history entry.
 * @param {Filters} filters
 * @param {string | null} conversationId
 */
export function writeUrl(filters, conversationId) {
  const params = new URLSearchParams();
  for (const key of FILTER_KEYS) {
    const value = filters[key];
    if (value) params.set(key, value);
  }
  if (conversationId) params.set('conversation', conversationId);
  const query = params.toString();
  const url = window.location.pathname + (query ? `?${query}` : '') + window.location.hash;
  window.history.replaceState(window.history.state, '', url);
}

/**
 * What the server will do with a conversation under these filters, when the client can
 * tell: true or false, or null (a text search or a number in some other format).
 * @param {Filters} filters
 * @param {ConversationOut} conversation
 * @param {string | null} [me] the signed-in agent's id (what `assignee=me` means)
 * @returns {boolean | null}
 */
export function matchesFilters(filters, conversation, me = null) {
  if (filters.status && (conversation.status || 'open') !== filters.status) return false;
  if (filters.assignee === 'nobody') {
    if (conversation.assigned_agent || conversation.assigned_agent_id) return false;
  } else if (filters.assignee === 'me') {
    if (!me || conversation.assigned_agent_id !== me) return false;
  } else if (filters.assignee && conversation.assigned_agent_id !== filters.assignee) {
    return false;
  }
  if (filters.client_id && conversation.client?.id !== filters.client_id) return false;
  if (filters.linked && String(Boolean(conversation.client)) !== filters.linked) return false;
  if (filters.bot_paused && String(conversation.bot_paused) !== filters.bot_paused) return false;
  const day = localDay(conversation.last_activity_at);
  if (filters.since && day < filters.since) return false;
  if (filters.until && day > filters.until) return false;
  if (filters.q || filters.number) return null;
  return true;
}

/** @param {string} iso */
function localDay(iso) {
  const d = new Date(iso);
  /** @param {number} n */
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

export class FilterForm {
  /** @param {{ filters: Filters, onChange: (filters: Filters) => void }} options */
  constructor({ filters, onChange }) {
    this.filters = { ...filters };
    this.onChange = onChange;
    /** @type {Identity | null} "Mías" is offered to an agent token only */
    this.identity = null;
    this.open = ADVANCED.some((key) => this.filters[key]);
    this.element = h('form', {
      class: 'filters',
      role: 'search',
      on: {
        submit: (event) => {
          event.preventDefault();
          this.apply();
        },
      },
    });
    this.ids = Object.fromEntries(FILTER_KEYS.map((key) => [key, uid(`filter-${key}`)]));
    this.render();
    this.onLanguage = () => this.render();
    window.addEventListener('languagechange', this.onLanguage);
  }

  destroy() {
    window.removeEventListener('languagechange', this.onLanguage);
  }

  /** @param {Identity} identity */
  setIdentity(identity) {
    this.identity = identity;
    this.render();
  }

  /** @returns {Filters} */
  read() {
    /** @type {Filters} */
    const filters = {};
    for (const key of FILTER_KEYS) {
      if (key === 'assignee') continue;
      /** @type {HTMLInputElement | HTMLSelectElement | null} */
      const input = this.element.querySelector(`#${this.ids[key]}`);
      const value = input ? input.value.trim() : '';
      if (value) filters[key] = value;
    }
    /** @type {HTMLInputElement | null} */
    const whose = this.element.querySelector('.whose input:checked');
    if (whose?.value) filters.assignee = whose.value;
    return filters;
  }

  apply() {
    const next = this.read();
    if (JSON.stringify(next) === JSON.stringify(this.filters)) return;
    this.filters = next;
    this.onChange({ ...next });
  }

  reset() {
    this.filters = {};
    this.render();
    this.onChange({});
  }

  /**
   * @param {FilterKey} key
   * @param {string} label
   * @param {import('../lib/dom.js').Attrs} [attrs]
   */
  input(key, label, attrs = {}) {
    return h(
      'div',
      { class: ['field', `field-${key}`] },
      h('label', { for: this.ids[key] }, label),
      h('input', {
        id: this.ids[key],
        name: key,
        value: this.filters[key] || '',
        on: { change: () => this.apply() },
        ...attrs,
      }),
    );
  }

  /**
   * @param {FilterKey} key
   * @param {string} label
   * @param {ReadonlyArray<readonly [string, string]>} options value and text of each option
   */
  select(key, label, options) {
    const select = h(
      'select',
      { id: this.ids[key], name: key, on: { change: () => this.apply() } },
      options.map(([value, text]) => h('option', { value }, text)),
    );
    select.value = this.filters[key] || '';
    return h(
      'div',
      { class: ['field', `field-${key}`] },
      h('label', { for: this.ids[key] }, label),
      select,
    );
  }

  /**
   * Whose conversations: all, mine (an agent token), nobody's. Radio buttons as chips.
   * @returns {HTMLFieldSetElement}
   */
  whose() {
    const agent = Boolean(this.identity?.isAgent);
    const current = this.filters.assignee || '';
    /** @type {Array<readonly [string, string]>} */
    const options = [['', t('filters.whose.all')]];
    if (agent || current === 'me') options.push(['me', t('filters.whose.me')]);
    options.push(['nobody', t('filters.whose.nobody')]);
    if (current && !['me', 'nobody'].includes(current)) {
      options.push([current, t('filters.whose.agent', { id: current })]);
    }
    const name = this.ids.assignee;
    return h(
      'fieldset',
      { class: 'whose' },
      h('legend', { class: 'sr-only' }, t('filters.whose')),
      options.map(([value, text]) => {
        const id = `${name}-${value || 'all'}`;
        return h(
          'label',
          { class: 'chip', for: id, dataset: { whose: value || 'all' } },
          h('input', {
            id,
            type: 'radio',
            name,
            value,
            checked: current === value,
            on: { change: () => this.apply() },
          }),
          text,
        );
      }),
    );
  }

  render() {
    /** @type {HTMLDetailsElement} */
    const details = h(
      'details',
      {
        class: 'filters-more',
        open: this.open,
        on: {
          toggle: () => {
            this.open = details.open;
          },
        },
      },
      h('summary', {}, t('filters.toggle')),
      h(
        'div',
        { class: 'filters-grid' },
        this.input('client_id', t('filters.client_id'), { type: 'text', maxlength: '200' }),
        this.input('number', t('filters.number'), { type: 'tel', maxlength: '64' }),
        this.input('since', t('filters.since'), { type: 'date' }),
        this.input('until', t('filters.until'), { type: 'date' }),
        this.select('linked', t('filters.linked'), [
          ['', t('filters.linked.all')],
          ['true', t('filters.linked.yes')],
          ['false', t('filters.linked.no')],
        ]),
        this.select('bot_paused', t('filters.bot'), [
          ['', t('filters.bot.all')],
          ['false', t('filters.bot.active')],
          ['true', t('filters.bot.paused')],
        ]),
        h(
          'div',
          { class: 'filters-buttons' },
          h('button', { type: 'submit', class: 'button' }, t('filters.apply')),
          h(
            'button',
            { type: 'button', class: 'button button-quiet', on: { click: () => this.reset() } },
            t('filters.reset'),
          ),
        ),
      ),
    );
    this.element.replaceChildren(
      h(
        'div',
        { class: 'quick-line' },
        this.whose(),
        this.select('status', t('filters.status'), [
          ['', t('filters.status.all')],
          ['open', t('filters.status.open')],
          ['pending', t('filters.status.pending')],
          ['resolved', t('filters.status.resolved')],
        ]),
      ),
      h(
        'div',
        { class: 'search-line' },
        this.input('q', t('filters.q'), {
          type: 'search',
          maxlength: '200',
          placeholder: t('filters.q.placeholder'),
        }),
      ),
      details,
    );
  }
}
