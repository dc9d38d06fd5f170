// @ts-check
// The "assign to another agent" dialog: the agent's name, and their id in the CRM when
// known (the id is what "Mías" matches on their side).
import { h, targetValue, uid } from '../lib/dom.js';
import { t } from '../lib/i18n.js';

/** @typedef {{ name: string, id?: string }} AgentChoice */

/**
 * Open a modal dialog inside `host`; resolves with `{ name, id? }`, or null if cancelled.
 * @param {HTMLElement} host
 * @param {{ name?: string }} [initial] a name to start with
 * @returns {Promise<AgentChoice | null>}
 */
export function chooseAgent(host, { name = '' } = {}) {
  return new Promise((resolve) => {
    const titleId = uid('assign-title');
    const nameId = uid('assign-name');
    const idId = uid('assign-id');
    const hintId = uid('assign-hint');
    const errorId = uid('assign-error');
    /** @type {AgentChoice | null} */
    let chosen = null;
    const values = { name, id: '' };

    const error = h('p', { id: errorId, class: 'error', role: 'alert' });
    const nameInput = h('input', {
      id: nameId,
      type: 'text',
      required: true,
      maxlength: '200',
      autocomplete: 'off',
      value: values.name,
      on: {
        input: (event) => {
          values.name = targetValue(event);
        },
      },
    });
    const idInput = h('input', {
      id: idId,
      type: 'text',
      maxlength: '200',
      autocomplete: 'off',
      'aria-describedby': hintId,
      on: {
        input: (event) => {
          values.id = targetValue(event);
        },
      },
    });
    /** @type {HTMLDialogElement} */
    const dialog = h(
      'dialog',
      { class: 'assign-dialog', 'aria-labelledby': titleId },
      h(
        'form',
        {
          novalidate: true,
          on: {
            submit: (event) => {
              event.preventDefault();
              const agentName = values.name.trim();
              if (!agentName) {
                error.textContent = t('assign.name.required');
                nameInput.setAttribute('aria-invalid', 'true');
                nameInput.setAttribute('aria-describedby', errorId);
                nameInput.focus();
                return;
              }
              const agentId = values.id.trim();
              chosen = agentId ? { name: agentName, id: agentId } : { name: agentName };
              dialog.close();
            },
          },
        },
        h(
          'div',
          { class: 'dialog-head' },
          h('h2', { id: titleId }, t('assign.title')),
          h(
            'button',
            { type: 'button', class: 'button button-quiet', on: { click: () => dialog.close() } },
            t('assign.cancel'),
          ),
        ),
        h('div', { class: 'field' }, h('label', { for: nameId }, t('assign.name')), nameInput),
        h(
          'div',
          { class: 'field' },
          h('label', { for: idId }, t('assign.id')),
          idInput,
          h('span', { id: hintId, class: 'muted assign-hint' }, t('assign.id.hint')),
        ),
        error,
        h(
          'div',
          { class: 'dialog-buttons' },
          h('button', { type: 'submit', class: 'button button-primary' }, t('assign.submit')),
        ),
      ),
    );
    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve(chosen);
    });
    host.appendChild(dialog);
    dialog.showModal();
    nameInput.focus();
    if (name) nameInput.select();
  });
}
