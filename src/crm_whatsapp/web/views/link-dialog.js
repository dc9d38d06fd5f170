// @ts-check
// The "link a client" dialog: search the CRM's clients, pick one.
import { h, uid } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { clientSearch } from './client-search.js';

/**
 * @typedef {import('../lib/conversaciones-whatsapp.js').ConversationsService} ConversationsService
 * @typedef {import('../lib/conversaciones-whatsapp.js').ClientOut} ClientOut
 */

/**
 * Open a modal dialog inside `host`; resolves with the chosen {id, name} or null.
 * @param {HTMLElement} host
 * @param {ConversationsService} service
 * @returns {Promise<ClientOut | null>}
 */
export function chooseClient(host, service) {
  return new Promise((resolve) => {
    const titleId = uid('link-title');
    const inputId = uid('link-search');
    /** @type {ClientOut | null} */
    let chosen = null;
    const finder = clientSearch(service, (client) => {
      chosen = client;
      dialog.close();
    });
    const input = h('input', { id: inputId, type: 'search', autocomplete: 'off', on: finder.on });
    /** @type {HTMLDialogElement} */
    const dialog = h(
      'dialog',
      { class: 'link-dialog', 'aria-labelledby': titleId },
      h(
        'div',
        { class: 'dialog-head' },
        h('h2', { id: titleId }, t('link.title')),
        h(
          'button',
          { type: 'button', class: 'button button-quiet', on: { click: () => dialog.close() } },
          t('link.close'),
        ),
      ),
      h('label', { for: inputId }, t('link.search')),
      input,
      finder.status,
      finder.results,
    );
    dialog.addEventListener('close', () => {
      finder.stop();
      dialog.remove();
      resolve(chosen);
    });
    host.appendChild(dialog);
    dialog.showModal();
    input.focus();
  });
}
