// @ts-check
// A stand-in for a CRM's client page: pick a client, see its card and the WhatsApp widget.
export {}; // a module (the page loads it with type="module"): its names stay its own
const TOKEN_KEY = 'crm_whatsapp.token';

/** @returns {string} */
function token() {
  const fromQuery = new URLSearchParams(window.location.search).get('token');
  if (fromQuery) {
    sessionStorage.setItem(TOKEN_KEY, fromQuery);
    // do not leave the token in the address bar or the history
    const url = new URL(window.location.href);
    url.searchParams.delete('token');
    window.history.replaceState(null, '', url.pathname + url.search);
    return fromQuery;
  }
  return sessionStorage.getItem(TOKEN_KEY) || window.prompt('Token de la API') || '';
}

const apiToken = token();
if (apiToken) sessionStorage.setItem(TOKEN_KEY, apiToken);
/**
 * An element of this page, which has it.
 * @param {string} id
 * @returns {HTMLElement}
 */
function byId(id) {
  const element = document.getElementById(id);
  if (!element) throw new Error(`clientes.html has no #${id}`);
  return element;
}

const widget = byId('widget');
const card = byId('client-card');

for (const button of document.querySelectorAll('#client-list button')) {
  if (!(button instanceof HTMLButtonElement)) continue;
  button.addEventListener('click', () => {
    for (const other of document.querySelectorAll('#client-list button')) {
      other.removeAttribute('aria-current');
    }
    button.setAttribute('aria-current', 'true');
    byId('client-name').textContent = button.textContent;
    byId('client-id').textContent = button.dataset.clientId ?? '';
    widget.setAttribute('token', apiToken);
    widget.setAttribute('client-id', button.dataset.clientId ?? '');
    card.hidden = false;
    byId('pick').hidden = true;
  });
}
