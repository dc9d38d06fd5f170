// @ts-check
// Canned responses in the composer: typing `/` at the start of the message opens a list of
// the team's responses, filtered as one types (`/pag` -> pago_pendiente). ↑ ↓ move, Enter
// (or a click) inserts the response filled for the open conversation, Esc closes. The
// message box is the combobox (ARIA 1.2: aria-expanded, aria-controls, aria-activedescendant
// pointing at the active option), so the focus never leaves it. Placeholders the
// conversation has no value for are named in a note under the box, highlighted.
//
// The composer re-creates its text box on every render; `attach` is called after each one
// and binds the new box to this picker's list and note, which live on between renders.
import { ApiError } from '../lib/conversaciones-whatsapp.js';
import { expandCannedResponse, findCannedResponses } from '../lib/canned-responses-api.js';
import { h, uid } from '../lib/dom.js';
import { t } from '../lib/i18n.js';

/**
 * @typedef {import('../lib/conversaciones-whatsapp.js').ConversationsService} ConversationsService
 * @typedef {import('../lib/canned-responses-api.js').CannedResponse} CannedResponse
 */

/** `/` at the very start, then the shortcut being typed (no spaces). */
const TYPING = /^\/([^\s/]*)$/u;
const SHOWN = 8;
const PREVIEW = 80;

export class CannedPicker {
  /** @param {{ service: ConversationsService }} options */
  constructor({ service }) {
    this.service = service;
    /** @type {CannedResponse[]} */
    this.options = [];
    this.active = -1;
    this.open = false;
    /** answers to older queries are dropped: only the latest one is shown */
    this.asked = 0;
    /** set while the picker itself writes the box, so its own input event is not a query */
    this.writing = false;
    /** @type {HTMLTextAreaElement | null} */
    this.box = null;
    /** @type {string | null} */
    this.conversationId = null;
    this.ids = { list: uid('canned-list'), note: uid('canned-note') };
    this.list = h('ul', {
      id: this.ids.list,
      class: 'canned-list',
      role: 'listbox',
      'aria-label': t('canned.list'),
      hidden: true,
    });
    this.note = h('p', { id: this.ids.note, class: 'canned-note', role: 'status', hidden: true });
  }

  /**
   * Bind a freshly rendered message box (and the conversation it writes to).
   * @param {HTMLTextAreaElement} box
   * @param {string} conversationId
   */
  attach(box, conversationId) {
    if (conversationId !== this.conversationId) this.reset();
    this.box = box;
    this.conversationId = conversationId;
    box.setAttribute('role', 'combobox');
    box.setAttribute('aria-autocomplete', 'list');
    box.setAttribute('aria-controls', this.ids.list);
    const described = box.getAttribute('aria-describedby') || '';
    if (!described.split(' ').includes(this.ids.note)) {
      box.setAttribute('aria-describedby', `${described} ${this.ids.note}`.trim());
    }
    this.list.setAttribute('aria-label', t('canned.list'));
    box.addEventListener('input', () => this.typed());
    // capture: before the composer's own Enter-sends handler on the same box
    box.addEventListener('keydown', (event) => this.key(event), true);
    box.addEventListener('blur', () => {
      this.asked += 1;
      this.close();
    });
    const row = box.parentElement;
    if (row) {
      row.append(this.list);
      row.after(this.note);
    }
    if (!box.value) this.clearNote();
    this.show();
  }

  /** Closed, no note: a new conversation, or the message was sent. */
  reset() {
    this.asked += 1;
    this.options = [];
    this.close();
    this.clearNote();
  }

  close() {
    this.open = false;
    this.active = -1;
    this.show();
  }

  typed() {
    if (this.writing || !this.box) return;
    if (!this.box.value) this.clearNote();
    const match = TYPING.exec(this.box.value);
    if (!match) {
      this.asked += 1;
      if (this.open) this.close();
      return;
    }
    this.query(match[1]);
  }

  /** @param {string} prefix */
  async query(prefix) {
    const ticket = ++this.asked;
    try {
      const found = await findCannedResponses(this.service, prefix, SHOWN);
      if (ticket !== this.asked) return;
      this.options = found.items;
      this.open = this.options.length > 0;
      this.active = this.open ? 0 : -1;
      if (!this.open) this.setNote(t('canned.none', { shortcut: `/${prefix}` }));
      else this.clearNote();
    } catch (error) {
      if (ticket !== this.asked) return;
      this.options = [];
      this.open = false;
      this.setNote(error instanceof ApiError && error.message ? error.message : t('error.network'));
    }
    this.show();
  }

  /** @param {KeyboardEvent} event */
  key(event) {
    if (!this.open || event.isComposing) return;
    const count = this.options.length;
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      this.active = (this.active + (event.key === 'ArrowDown' ? 1 : count - 1)) % count;
    } else if ((event.key === 'Enter' && !event.shiftKey) || event.key === 'Tab') {
      const chosen = this.options[this.active];
      if (!chosen) return;
      this.choose(chosen);
    } else if (event.key === 'Escape') {
      this.asked += 1;
      this.close();
    } else {
      return;
    }
    event.preventDefault();
    event.stopImmediatePropagation();
    this.show();
  }

  /** @param {CannedResponse} response */
  async choose(response) {
    const box = this.box;
    const conversationId = this.conversationId;
    this.asked += 1;
    this.close();
    if (!box || !conversationId) return;
    try {
      const filled = await expandCannedResponse(this.service, conversationId, response.shortcut);
      if (box !== this.box || conversationId !== this.conversationId) return;
      this.write(box, filled.text);
      if (filled.missing.length) this.missingNote(filled.missing);
      else this.clearNote();
    } catch (error) {
      const reason =
        error instanceof ApiError && error.message ? error.message : t('error.network');
      this.setNote(t('canned.failed', { shortcut: `/${response.shortcut}`, reason }));
    }
  }

  /**
   * Put the text in the box as if typed (the composer keeps what its box says), caret last.
   * @param {HTMLTextAreaElement} box
   * @param {string} text
   */
  write(box, text) {
    this.writing = true;
    try {
      box.value = text;
      box.dispatchEvent(new Event('input', { bubbles: true }));
    } finally {
      this.writing = false;
    }
    box.focus();
    box.setSelectionRange(text.length, text.length);
  }

  /** @param {string[]} missing */
  missingNote(missing) {
    const [before, after = ''] = t('canned.missing', { names: '\u0000' }).split('\u0000');
    const marks = missing.flatMap((name, i) => [
      i ? ', ' : '',
      h('mark', { class: 'canned-missing' }, `{${name}}`),
    ]);
    this.note.replaceChildren(before, ...marks, after);
    this.note.hidden = false;
  }

  /** @param {string} text */
  setNote(text) {
    this.note.replaceChildren(text);
    this.note.hidden = !text;
  }

  clearNote() {
    this.setNote('');
  }

  /** Draw the list and point the box at the active option. */
  show() {
    const box = this.box;
    this.list.hidden = !this.open;
    if (box) box.setAttribute('aria-expanded', String(this.open));
    if (!this.open) {
      this.list.replaceChildren();
      box?.removeAttribute('aria-activedescendant');
      return;
    }
    const items = this.options.map((response, index) => {
      const selected = index === this.active;
      return h(
        'li',
        {
          id: `${this.ids.list}-${index}`,
          class: ['canned-option', selected && 'canned-option-active'],
          role: 'option',
          'aria-selected': String(selected),
          dataset: { shortcut: response.shortcut },
          on: {
            // keep the focus in the box: the click still chooses
            mousedown: (event) => event.preventDefault(),
            click: () => this.choose(response),
            mousemove: () => {
              if (this.active !== index) {
                this.active = index;
                this.show();
              }
            },
          },
        },
        h('span', { class: 'canned-shortcut' }, `/${response.shortcut}`),
        h('span', { class: 'canned-preview' }, preview(response)),
      );
    });
    this.list.replaceChildren(...items);
    if (box) box.setAttribute('aria-activedescendant', `${this.ids.list}-${this.active}`);
    items[this.active]?.scrollIntoView({ block: 'nearest' });
  }
}

/**
 * The title, else the start of the text, on one line.
 * @param {CannedResponse} response
 */
function preview(response) {
  const text = (response.title || response.text).replace(/\s+/g, ' ').trim();
  return text.length > PREVIEW ? `${text.slice(0, PREVIEW - 1)}…` : text;
}
