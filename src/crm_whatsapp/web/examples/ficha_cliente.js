// @ts-check
// The CRM page's own script: opening another client only changes the element's client-id;
// the widget then asks the page's token-url for a token of that client (the one the page
// came with is confined to the first).
export {}; // a module (the page loads it with type="module"): its names stay its own
const widget = document.getElementById('whatsapp');
const clientName = document.getElementById('client-name');
for (const button of document.querySelectorAll('nav button')) {
  if (!(button instanceof HTMLButtonElement)) continue;
  button.addEventListener('click', () => {
    document.querySelector('nav [aria-current]')?.removeAttribute('aria-current');
    button.setAttribute('aria-current', 'true');
    if (clientName) clientName.textContent = button.textContent;
    widget?.setAttribute('client-id', button.dataset.clientId ?? '');
  });
}
