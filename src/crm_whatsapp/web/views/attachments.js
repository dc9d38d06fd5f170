// @ts-check
// The file an agent is about to send: chosen with the attach button (a hidden file input),
// dropped on the chat, or pasted (a picture from the clipboard). Shown as a chip with its
// name, size and a remove button; the composer's text box becomes its caption. The elements
// here live as long as the composer, which puts them back in place on each of its renders.
import { h, uid } from '../lib/dom.js';
import { formatBytes, t } from '../lib/i18n.js';
import { icon } from './icons.js';

/**
 * @typedef {object} AttachmentsOptions
 * @property {() => void} onChange a file was chosen or removed (the composer renders again)
 */

/** Pictures and videos may also go as a plain file (no compression on the phone). */
const AS_DOCUMENT_TYPES = /^(image|video)\//;

/** Our explanation of the API's refusals of a file, by HTTP status. */
const REFUSALS = /** @type {Readonly<Record<number, string>>} */ ({
  413: 'composer.file.too_large',
  415: 'composer.file.unsupported',
});

/**
 * The text key explaining why the API refused a file ('' when the status is not one of those).
 * @param {number} status
 * @returns {string}
 */
export function refusalKey(status) {
  return REFUSALS[status] || '';
}

/**
 * Whether a drag carries files (not text or a link dragged from the page).
 * @param {DragEvent} event
 */
function carriesFiles(event) {
  return Array.from(event.dataTransfer?.types || []).includes('Files');
}

export class Attachments {
  /** @param {AttachmentsOptions} options */
  constructor({ onChange }) {
    this.onChange = onChange;
    /** @type {File | null} */
    this.file = null;
    this.asDocument = false;
    this.enabled = false;
    this.ids = { button: uid('attach-button'), asDocument: uid('attach-as-document') };
    /** @type {HTMLInputElement} */
    this.input = h('input', {
      type: 'file',
      class: 'attach-input',
      hidden: true,
      tabindex: '-1',
      on: {
        change: () => {
          const chosen = this.input.files?.[0];
          if (chosen) this.set(chosen);
          this.input.value = ''; // the same file may be chosen again after removing it
        },
      },
    });
    this.dropHint = h('div', { class: 'drop-hint', 'aria-hidden': 'true' }, t('composer.drop'));
    this.dropHint.hidden = true;
    /** @type {Array<() => void>} */
    this.unlisten = [];
  }

  destroy() {
    for (const stop of this.unlisten) stop();
    this.unlisten = [];
  }

  /**
   * Whether files can be attached now (a conversation is open and its window too).
   * @param {boolean} enabled
   */
  setEnabled(enabled) {
    this.enabled = enabled;
    if (!enabled) this.highlight(false);
  }

  /** @param {File} file */
  set(file) {
    if (!this.enabled) return;
    this.file = file;
    this.asDocument = false;
    this.onChange();
  }

  /** Forget the file (after sending it, or when the agent removes it). */
  clear() {
    const had = this.file !== null;
    this.file = null;
    this.asDocument = false;
    if (had) this.onChange();
  }

  /** @param {boolean} on */
  highlight(on) {
    this.dropHint.hidden = !on;
    this.dropHint.parentElement?.classList.toggle('drop-active', on);
  }

  /**
   * Take files dropped on `target` (the chat) and pictures pasted into it.
   * @param {HTMLElement} target
   */
  listen(target) {
    target.append(this.dropHint);
    let depth = 0; // dragenter/dragleave fire for every child crossed
    /** @type {Array<[string, (event: any) => void]>} */
    const handlers = [
      ['dragenter', (/** @type {DragEvent} */ event) => {
        if (!this.enabled || !carriesFiles(event)) return;
        event.preventDefault();
        depth += 1;
        this.highlight(true);
      }],
      ['dragover', (/** @type {DragEvent} */ event) => {
        if (!carriesFiles(event)) return;
        // allows the drop (refused files are still kept from opening in place of the page)
        event.preventDefault();
        if (event.dataTransfer) event.dataTransfer.dropEffect = this.enabled ? 'copy' : 'none';
      }],
      ['dragleave', (/** @type {DragEvent} */ event) => {
        if (!carriesFiles(event)) return;
        depth = Math.max(0, depth - 1);
        if (depth === 0) this.highlight(false);
      }],
      ['drop', (/** @type {DragEvent} */ event) => {
        depth = 0;
        this.highlight(false);
        if (!carriesFiles(event)) return;
        event.preventDefault();
        const file = event.dataTransfer?.files?.[0];
        if (file) this.set(file);
      }],
      ['paste', (/** @type {ClipboardEvent} */ event) => {
        const file = event.clipboardData?.files?.[0];
        if (!this.enabled || !file) return;
        event.preventDefault();
        this.set(file);
      }],
    ];
    for (const [name, handler] of handlers) {
      target.addEventListener(name, handler);
      this.unlisten.push(() => target.removeEventListener(name, handler));
    }
  }

  /**
   * The attach button (it opens the file chooser).
   * @param {boolean} disabled
   * @returns {HTMLButtonElement}
   */
  button(disabled) {
    this.dropHint.textContent = t('composer.drop'); // the language may have changed
    return h(
      'button',
      {
        type: 'button',
        id: this.ids.button,
        class: 'button button-quiet composer-icon attach',
        'aria-label': t('composer.attach'),
        title: t('composer.attach'),
        disabled,
        on: { click: () => this.input.click() },
      },
      icon('attach'),
    );
  }

  /**
   * The chosen file as a chip (null when there is none).
   * @param {boolean} disabled while sending
   * @returns {HTMLDivElement | null}
   */
  chip(disabled) {
    const file = this.file;
    if (!file) return null;
    const name = file.name || t('composer.attachment.unnamed');
    const asDocument =
      AS_DOCUMENT_TYPES.test(file.type) &&
      h(
        'label',
        { class: 'attachment-option', for: this.ids.asDocument },
        h('input', {
          id: this.ids.asDocument,
          type: 'checkbox',
          checked: this.asDocument,
          disabled,
          on: {
            change: (event) => {
              this.asDocument = event.target instanceof HTMLInputElement && event.target.checked;
            },
          },
        }),
        ` ${t('composer.as_document')}`,
      );
    return h(
      'div',
      { class: 'attachment-chip', role: 'group', 'aria-label': t('composer.attachment') },
      icon('document', 18),
      h('span', { class: 'attachment-name', title: name }, name),
      h('span', { class: 'attachment-size' }, formatBytes(file.size)),
      asDocument,
      h(
        'button',
        {
          type: 'button',
          class: 'button button-quiet attachment-remove',
          'aria-label': t('composer.attachment.remove', { name }),
          title: t('composer.attachment.remove', { name }),
          disabled,
          on: { click: () => this.clear() },
        },
        icon('close', 16),
      ),
    );
  }
}
