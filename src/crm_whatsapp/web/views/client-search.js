// @ts-check
// The CRM's clients found as you type: what the "link a client" dialog and "Nueva
// conversación" share. Searches wait for a pause in typing (or Enter), and an answer that
// arrives after a newer search started is dropped, so the list always matches the box.
import { messageOf } from '../lib/conversaciones-whatsapp.js';
import { h, targetValue } from '../lib/dom.js';
import { t } from '../lib/i18n.js';

const DEBOUNCE_MS = 250;

/**
 * @typedef {import('../lib/conversaciones-whatsapp.js').ConversationsService} ConversationsService
 * @typedef {import('../lib/conversaciones-whatsapp.js').ClientOut} ClientOut
 * @typedef {object} ClientSearch
 * @property {HTMLElement} status where "searching" and "no client" are said (role status)
 * @property {HTMLElement} results the list of clients, each a button
 * @property {{ input: (event: Event) => void, keydown: (event: KeyboardEvent) => void }} on
 *   the handlers of the search box
 * @property {() => void} stop forget a search still waiting (the dialog closes)
 * @property {() => void} render write the status and the clients found again (the language
 *   changed)
 */

/**
 * @param {ConversationsService} service
 * @param {(client: ClientOut) => void} onChoose
 * @param {string} [chooseKey] what choosing a client does, said on its button (an i18n key
 *   with `{name}` and `{id}`): linking it by default
 * @returns {ClientSearch}
 */
export function clientSearch(service, onChoose, chooseKey = 'link.choose') {
  const status = h('p', { class: 'muted', role: 'status' });
  const results = h('ul', { class: 'client-results' });
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  let asked = 0;
  /** @type {ClientOut[]} */
  let found = [];
  /** @type {() => string} what the status says, in the current language */
  let saying = () => '';

  /** @param {() => string} text */
  const say = (text) => {
    saying = text;
    status.textContent = text();
  };

  /** @param {ClientOut} client */
  const choice = (client) =>
    h(
      'li',
      {},
      h(
        'button',
        {
          type: 'button',
          class: 'client-choice',
          dataset: { clientId: client.id },
          'aria-label': t(chooseKey, { name: client.name, id: client.id }),
          on: { click: () => onChoose(client) },
        },
        h('strong', {}, client.name),
        h('span', { class: 'muted' }, ` ${client.id}`),
      ),
    );

  /** @param {string} q */
  const search = async (q) => {
    asked += 1;
    const mine = asked;
    if (!q.trim()) {
      found = [];
      results.replaceChildren();
      say(() => '');
      return;
    }
    say(() => t('link.searching'));
    try {
      const answer = await service.searchClients(q.trim());
      if (mine !== asked) return;
      found = answer.items;
      say(() => (found.length ? '' : t('link.none')));
      results.replaceChildren(...found.map(choice));
    } catch (error) {
      const said = messageOf(error);
      if (mine === asked) say(() => said || t('error.network'));
    }
  };

  return {
    status,
    results,
    on: {
      input: (event) => {
        clearTimeout(timer);
        const q = targetValue(event);
        timer = setTimeout(() => search(q), DEBOUNCE_MS);
      },
      keydown: (event) => {
        if (event.key !== 'Enter') return;
        event.preventDefault();
        clearTimeout(timer);
        search(targetValue(event));
      },
    },
    stop: () => clearTimeout(timer),
    render: () => {
      status.textContent = saying();
      results.replaceChildren(...found.map(choice));
    },
  };
}
