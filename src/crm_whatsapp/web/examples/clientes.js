// @ts-check
// A stand-in for a CRM's client page: pick a client, see its card and the WhatsApp widget.
// A real CRM's backend mints the widget's token per page view, for the signed-in user and
// that one client (docs/inbox.md, "The client widget"; examples/crm_ficha_cliente.py). The
// demo has no such backend, so this page takes the token it is given in ?token=...: one
// from `crm-whatsapp agents token --client-id 3 --hours 1` opens client 3 only (the others
// say the token is for another client). The demo's API token works too, for trying things
// on your machine; it opens everything, so a real page never holds it.
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
  const stored = sessionStorage.getItem(TOKEN_KEY);
  if (stored) return stored;
  return window.prompt('Token del widget (crm-whatsapp agents token --client-id …)') || '';
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
