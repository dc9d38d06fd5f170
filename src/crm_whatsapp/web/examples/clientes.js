// A stand-in for a CRM's client page: pick a client, see its card and the WhatsApp widget.
const TOKEN_KEY = 'crm_whatsapp.token';

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
const widget = document.getElementById('widget');
const card = document.getElementById('client-card');

for (const button of document.querySelectorAll('#client-list button')) {
  button.addEventListener('click', () => {
    for (const other of document.querySelectorAll('#client-list button')) {
      other.removeAttribute('aria-current');
    }
    button.setAttribute('aria-current', 'true');
    document.getElementById('client-name').textContent = button.textContent;
    document.getElementById('client-id').textContent = button.dataset.clientId;
    widget.setAttribute('token', apiToken);
    widget.setAttribute('client-id', button.dataset.clientId);
    card.hidden = false;
    document.getElementById('pick').hidden = true;
  });
}
