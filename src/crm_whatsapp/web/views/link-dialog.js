// @ts-check
// The "link a client" dialog: search the CRM's clients, pick one.
import { messageOf } from '../lib/conversaciones-whatsapp.js';
import { h, targetValue, uid } from '../lib/dom.js';
import { t } from '../lib/i18n.js';

const DEBOUNCE_MS = 250;

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
    const results = h('ul', { class: 'client-results' });
    const status = h('p', { class: 'muted', role: 'status' });
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    let timer;
    let asked = 0;
    /** @type {ClientOut | null} */
    let chosen = null;

    /** @param {string} q */
    const search = async (q) => {
      asked += 1;
      const mine = asked;
      if (!q.trim()) {
        results.replaceChildren();
        status.textContent = '';
        return;
      }
      status.textContent = t('link.searching');
      try {
        const found = await service.searchClients(q.trim());
        if (mine !== asked) return;
        status.textContent = found.items.length ? '' : t('link.none');
        results.replaceChildren(
          ...found.items.map((client) =>
            h(
              'li',
              {},
              h(
                'button',
                {
                  type: 'button',
                  class: 'client-choice',
                  dataset: { clientId: client.id },
                  'aria-label': t('link.choose', { name: client.name, id: client.id }),
                  on: {
                    click: () => {
                      chosen = client;
                      dialog.close();
                    },
                  },
                },
                h('strong', {}, client.name),
                h('span', { class: 'muted' }, ` ${client.id}`),
              ),
            ),
          ),
        );
      } catch (error) {
        if (mine !== asked) return;
        status.textContent = messageOf(error) || t('error.network');
      }
    };

    const input = h('input', {
      id: inputId,
      type: 'search',
      autocomplete: 'off',
      on: {
        input: (event) => {
          clearTimeout(timer);
          const q = targetValue(event);
          timer = setTimeout(() => search(q), DEBOUNCE_MS);
        },
        keydown: (event) => {
          if (event.key === 'Enter') {
            event.preventDefault();
            clearTimeout(timer);
            search(targetValue(event));
          }
        },
      },
    });
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
      status,
      results,
    );
    dialog.addEventListener('close', () => {
      clearTimeout(timer);
      dialog.remove();
      resolve(chosen);
    });
    host.appendChild(dialog);
    dialog.showModal();
    input.focus();
  });
}
