// @ts-check
// A picture at full size: a modal <dialog> with a close button; Esc closes it too (the
// dialog's own cancel), and so does a click outside the picture. Focus goes back to the
// thumbnail that opened it.
import { h, uid } from '../lib/dom.js';
import { t } from '../lib/i18n.js';

/**
 * @typedef {object} Enlarged
 * @property {string} src the picture's address
 * @property {string} alt its text alternative
 * @property {string} caption the message's caption ('' for none): shown as text
 * @property {string} [messageId] to find the thumbnail again if its row was drawn anew
 */

/**
 * Where the dialog goes: beside the chat (outside the windowed rows, which may be drawn
 * again while it is open), in the page or in the widget's shadow root.
 * @param {HTMLElement} opener
 * @returns {HTMLElement | ShadowRoot}
 */
function hostOf(opener) {
  /** @type {HTMLElement | null} */
  const chat = opener.closest('.chat');
  if (chat) return chat;
  const root = opener.getRootNode();
  return root instanceof ShadowRoot ? root : document.body;
}

/**
 * Open the picture in a modal dialog; resolves when it closes.
 * @param {HTMLElement} opener the thumbnail's button
 * @param {Enlarged} picture
 * @returns {Promise<void>}
 */
export function enlarge(opener, { src, alt, caption, messageId }) {
  return new Promise((resolve) => {
    const titleId = uid('media-title');
    const root = opener.getRootNode();
    /** @type {HTMLDialogElement} */
    const dialog = h(
      'dialog',
      { class: 'media-dialog', 'aria-labelledby': titleId },
      h(
        'div',
        { class: 'dialog-head' },
        h('h2', { id: titleId }, t('media.dialog.title')),
        h(
          'button',
          {
            type: 'button',
            class: 'button media-close',
            on: { click: () => dialog.close() },
          },
          t('media.close'),
        ),
      ),
      h(
        'figure',
        { class: 'media-full' },
        h('img', { src, alt, decoding: 'async' }),
        caption && h('figcaption', { class: 'bubble-text' }, caption),
      ),
    );
    dialog.addEventListener('click', (event) => {
      // the dialog element itself is only hit outside its content: the backdrop
      if (event.target === dialog) dialog.close();
    });
    dialog.addEventListener('close', () => {
      dialog.remove();
      let back = opener.isConnected ? opener : null;
      if (!back && messageId && (root instanceof Document || root instanceof ShadowRoot)) {
        back = root.querySelector(`[data-message-id="${CSS.escape(messageId)}"] .media-open`);
      }
      /** @type {HTMLElement | null} */ (back)?.focus();
      resolve();
    });
    hostOf(opener).appendChild(dialog);
    dialog.showModal();
    /** @type {HTMLButtonElement | null} */ (dialog.querySelector('.media-close'))?.focus();
  });
}
