// @ts-check
// Reply buttons and lists in a chat bubble. What we sent shows its text with the buttons or
// the list's rows beneath, drawn like WhatsApp's but not clickable (they are the customer's
// to tap); what the customer chose shows the title they tapped and a small mark saying it
// was a button or a list row. Every text is put in text nodes.
import { h } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { choiceOf, interactiveOf } from '../lib/interactive-api.js';

/**
 * @typedef {import('../lib/conversaciones-whatsapp.js').MessageOut} MessageOut
 * @typedef {import('../lib/interactive-api.js').Interactive} Interactive
 */

/**
 * The bubble's content for buttons or a list we sent, or for a customer's choice; null for
 * any other message.
 * @param {MessageOut} message
 * @returns {HTMLElement[] | null}
 */
export function interactiveParts(message) {
  const content = message.direction === 'outbound' ? interactiveOf(message) : null;
  if (content) return sent(content);
  const choice = message.direction === 'inbound' ? choiceOf(message) : null;
  if (!choice) return null;
  return [
    h('p', { class: 'bubble-text chosen-title' }, message.text || ''),
    h(
      'span',
      { class: 'choice-mark', dataset: { choice } },
      h('span', { 'aria-hidden': 'true' }, '↩ '),
      t(choice === 'list' ? 'interactive.reply.list' : 'interactive.reply.button'),
    ),
  ];
}

/**
 * @param {Interactive} content
 * @returns {HTMLElement[]}
 */
function sent(content) {
  /** @type {HTMLElement[]} */
  const parts = [];
  if (content.header) parts.push(h('strong', { class: 'interactive-header' }, content.header));
  parts.push(h('p', { class: 'bubble-text' }, content.body));
  if (content.footer) parts.push(h('small', { class: 'interactive-footer' }, content.footer));
  parts.push(content.kind === 'buttons' ? buttons(content) : list(content));
  return parts;
}

/**
 * @param {Interactive} content
 * @returns {HTMLUListElement}
 */
function buttons(content) {
  return h(
    'ul',
    { class: 'interactive-buttons', 'aria-label': t('interactive.buttons') },
    (content.buttons || []).map((button) =>
      h('li', { class: 'interactive-button', dataset: { choiceId: button.id } }, button.title),
    ),
  );
}

/**
 * @param {Interactive} content
 * @returns {HTMLDivElement}
 */
function list(content) {
  return h(
    'div',
    { class: 'interactive-list', role: 'group', 'aria-label': t('interactive.list') },
    h(
      'span',
      { class: 'interactive-list-button' },
      h('span', { 'aria-hidden': 'true' }, '☰ '),
      content.button_label || '',
    ),
    (content.sections || []).map((section) =>
      h(
        'div',
        { class: 'interactive-section' },
        section.title ? h('p', { class: 'interactive-section-title' }, section.title) : null,
        h(
          'ul',
          { class: 'interactive-rows' },
          section.rows.map((row) =>
            h(
              'li',
              { class: 'interactive-row', dataset: { choiceId: row.id } },
              h('span', { class: 'interactive-row-title' }, row.title),
              row.description
                ? h('span', { class: 'interactive-row-description' }, row.description)
                : null,
            ),
          ),
        ),
      ),
    ),
  );
}
