// @ts-check
// "Nueva conversación" (the inbox) and "Enviar WhatsApp" (the client widget): write first to
// a customer, which WhatsApp allows only with an approved template. The inbox asks for a
// number in any format or a CRM client (searched like the link dialog); the widget already
// knows its client. Then the template picker, its fields and preview; sending answers the
// conversation (new, or the one the customer already had), which the page opens. A change of
// language writes the dialog's texts again; what was typed and chosen stays.
import { activeElementOf, h, targetValue, uid } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { identityOf } from '../lib/identity.js';
import { startConversation } from '../lib/templates-api.js';
import { agentName } from './composer.js';
import { clientSearch } from './client-search.js';
import { TemplatePicker } from './template-picker.js';

/**
 * @typedef {import('../lib/conversaciones-whatsapp.js').ConversationsService} ConversationsService
 * @typedef {import('../lib/conversaciones-whatsapp.js').ClientOut} ClientOut
 * @typedef {import('../lib/identity.js').Identity} Identity
 * @typedef {import('../lib/templates-api.js').Recipient} Recipient
 * @typedef {import('../lib/templates-api.js').StartedConversation} StartedConversation
 * @typedef {'number' | 'client'} RecipientKind
 */
/**
 * @typedef {object} DialogOptions
 * @property {ClientOut | null} [client] the widget's client: no recipient to ask for
 */

/**
 * The recipient part of the inbox's dialog: a phone number, or a client of the CRM.
 * @param {ConversationsService} service
 * @param {(recipient: Recipient | null) => void} onChange
 * @returns {{
 *   element: HTMLFieldSetElement, focus: () => void, render: () => void, stop: () => void
 * }}
 */
function recipientFields(service, onChange) {
  /** @type {RecipientKind} */
  let kind = 'number';
  let number = '';
  /** @type {ClientOut | null} */
  let client = null;
  let query = '';
  const ids = {
    kind: uid('recipient-kind'),
    number: uid('recipient-number'),
    numberHint: uid('recipient-number-hint'),
    search: uid('recipient-search'),
  };
  const body = h('div', { class: 'recipient-body' });

  const changed = () => {
    if (kind === 'number') onChange(number.trim() ? { to: number.trim() } : null);
    else onChange(client ? { client_id: client.id } : null);
  };

  const finder = clientSearch(
    service,
    (item) => {
      client = item;
      draw();
      changed();
      /** @type {HTMLButtonElement | null} */ (body.querySelector('.recipient-change'))?.focus();
    },
    'newconv.client.choose',
  );

  const draw = () => {
    if (kind === 'number') {
      body.replaceChildren(
        h(
          'div',
          { class: 'field' },
          h('label', { for: ids.number }, t('newconv.number')),
          h('input', {
            id: ids.number,
            type: 'tel',
            autocomplete: 'off',
            maxlength: '40',
            'aria-describedby': ids.numberHint,
            value: number,
            on: {
              input: (event) => {
                number = targetValue(event);
                changed();
              },
            },
          }),
          h('span', { id: ids.numberHint, class: 'muted assign-hint' }, t('newconv.number.hint')),
        ),
      );
    } else if (client) {
      const chosen = client;
      body.replaceChildren(
        h(
          'p',
          { class: 'recipient-chosen', dataset: { clientId: chosen.id } },
          t('newconv.client.chosen', { name: chosen.name, id: chosen.id }),
          h(
            'button',
            {
              type: 'button',
              class: 'button button-quiet recipient-change',
              on: {
                click: () => {
                  client = null;
                  draw();
                  changed();
                  /** @type {HTMLInputElement | null} */ (body.querySelector('input'))?.focus();
                },
              },
            },
            t('newconv.client.change'),
          ),
        ),
      );
    } else {
      body.replaceChildren(
        h(
          'div',
          { class: 'field' },
          h('label', { for: ids.search }, t('newconv.client.search')),
          h('input', {
            id: ids.search,
            type: 'search',
            autocomplete: 'off',
            value: query,
            on: {
              ...finder.on,
              input: (event) => {
                query = targetValue(event);
                finder.on.input(event);
              },
            },
          }),
        ),
        finder.status,
        finder.results,
      );
    }
  };

  /** @type {Array<[Text, string]>} each kind's label and its key */
  const kindTexts = [];
  /**
   * @param {RecipientKind} value
   * @param {string} key
   */
  const option = (value, key) => {
    const id = `${ids.kind}-${value}`;
    const label = document.createTextNode(t(key));
    kindTexts.push([label, key]);
    return h(
      'label',
      { for: id },
      h('input', {
        id,
        type: 'radio',
        name: ids.kind,
        value,
        checked: kind === value,
        on: {
          change: () => {
            kind = value;
            draw();
            changed();
          },
        },
      }),
      label,
    );
  };
  draw();
  const legend = h('legend', {}, t('newconv.recipient'));
  const element = h(
    'fieldset',
    { class: 'recipient' },
    legend,
    h(
      'div',
      { class: 'recipient-kinds' },
      option('number', 'newconv.kind.number'),
      option('client', 'newconv.kind.client'),
    ),
    body,
  );

  /**
   * The control to focus again once the body is drawn anew: the same field, the same
   * client found, or the chosen client's "change".
   * @param {HTMLElement} control
   */
  const sameAs = (control) => {
    if (control.id) return `#${CSS.escape(control.id)}`;
    const found = control.dataset.clientId;
    return found === undefined ? '.recipient-change' : `[data-client-id="${CSS.escape(found)}"]`;
  };
  const render = () => {
    const active = activeElementOf(body);
    const again = active instanceof HTMLElement && body.contains(active) ? sameAs(active) : null;
    legend.textContent = t('newconv.recipient');
    for (const [label, key] of kindTexts) label.data = t(key);
    draw();
    finder.render();
    if (again) /** @type {HTMLElement | null} */ (body.querySelector(again))?.focus();
  };
  return {
    element,
    focus: () => /** @type {HTMLInputElement | null} */ (body.querySelector('input'))?.focus(),
    render,
    stop: finder.stop,
  };
}

/**
 * Open the dialog inside `host`; resolves with the API's answer once a template went, or
 * null when closed without sending. The caller gives the focus back to its opener.
 * @param {HTMLElement} host
 * @param {ConversationsService} service
 * @param {DialogOptions} [options]
 * @returns {Promise<StartedConversation | null>}
 */
export function startConversationDialog(host, service, { client = null } = {}) {
  return new Promise((resolve) => {
    const titleId = uid('newconv-title');
    /** @type {StartedConversation | null} */
    let started = null;
    /** @type {Recipient | null} */
    let recipient = client ? { client_id: client.id } : null;
    const picker = new TemplatePicker({
      service,
      allowUpload: false, // the endpoint takes JSON: a header's file is named by its media id
      send: async (template) => {
        if (!recipient) return;
        const identity = await identityOf(service);
        const agent = identity.isAgent ? null : agentName();
        started = await startConversation(service, recipient, { template, agent });
      },
      onSent: () => dialog.close(),
    });
    const missing = () => (recipient ? null : t('newconv.recipient.missing'));
    picker.setBlocked(missing());
    const fields = client
      ? null
      : recipientFields(service, (next) => {
          recipient = next;
          picker.setBlocked(missing());
        });
    const title = () =>
      client ? t('newconv.title.client', { name: client.name || client.id }) : t('newconv.title');
    const heading = h('h2', { id: titleId }, title());
    const close = h(
      'button',
      { type: 'button', class: 'button button-quiet', on: { click: () => dialog.close() } },
      t('link.close'),
    );
    const intro = h('p', { class: 'muted newconv-intro' }, t('newconv.intro'));
    /** @type {HTMLDialogElement} */
    const dialog = h(
      'dialog',
      { class: 'new-conversation-dialog', 'aria-labelledby': titleId },
      h('div', { class: 'dialog-head' }, heading, close),
      h('div', { class: 'dialog-body' }, intro, fields?.element, picker.element),
    );
    // the picker follows the language itself; the rest of the dialog here
    const onLanguage = () => {
      heading.textContent = title();
      close.textContent = t('link.close');
      intro.textContent = t('newconv.intro');
      fields?.render();
      picker.setBlocked(missing());
    };
    window.addEventListener('languagechange', onLanguage);
    dialog.addEventListener('close', () => {
      window.removeEventListener('languagechange', onLanguage);
      fields?.stop(); // a search typed just before closing must not run for a gone dialog
      picker.destroy();
      dialog.remove();
      resolve(started);
    });
    host.appendChild(dialog);
    dialog.showModal();
    identityOf(service).then(
      (identity) => picker.setIdentity(identity),
      () => {},
    );
    picker.ensureLoaded();
    if (fields) fields.focus();
    else picker.focus();
  });
}

/**
 * The button that opens the dialog (the inbox's list head, the widget's): shown only to a
 * token that may write (`reply`). `onStarted` gets the API's answer; the focus comes back
 * to the button when the dialog is closed without sending.
 * @param {{
 *   service: ConversationsService,
 *   host: () => HTMLElement,
 *   label: string,
 *   client?: () => ClientOut | null,
 *   onStarted: (started: StartedConversation) => void,
 * }} options
 * @returns {{
 *   element: HTMLButtonElement,
 *   setIdentity: (identity: Identity) => void,
 *   destroy: () => void,
 * }}
 */
export function newConversationButton({ service, host, label, client = () => null, onStarted }) {
  const button = h(
    'button',
    {
      type: 'button',
      class: 'button new-conversation',
      on: {
        click: async () => {
          const started = await startConversationDialog(host(), service, { client: client() });
          if (started) onStarted(started);
          else if (button.isConnected) button.focus();
        },
      },
    },
    t(label),
  );
  const onLanguage = () => {
    button.textContent = t(label);
  };
  window.addEventListener('languagechange', onLanguage);
  return {
    element: button,
    setIdentity: (identity) => {
      button.hidden = !identity.can('reply');
    },
    destroy: () => window.removeEventListener('languagechange', onLanguage),
  };
}
