// @ts-check
// The live preview of a template being filled in: a WhatsApp-like bubble with its header,
// the body with the values typed so far, the footer and the buttons. What was typed is
// inserted as text (h() makes text nodes), never as markup: a value like "<b>" shows as
// typed, exactly as the customer will see it.
import { h } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { mediaHeader, segments, valueOf } from '../lib/template-fields.js';

/**
 * @typedef {import('../lib/templates-api.js').CatalogueTemplate} CatalogueTemplate
 * @typedef {import('../lib/templates-api.js').TemplateButton} TemplateButton
 * @typedef {import('../lib/template-fields.js').TemplateValues} TemplateValues
 * @typedef {import('../lib/template-fields.js').Segment} Segment
 */

/** @type {Readonly<Record<string, string>>} */
const MEDIA_ICON = { image: '🖼', document: '📄', video: '🎬', location: '📍' };

/**
 * @param {readonly Segment[]} parts
 * @returns {Array<string | HTMLElement>}
 */
function filled(parts) {
  return parts.map((part) =>
    part.kind === 'literal'
      ? part.text
      : h('span', { class: `template-${part.kind}` }, part.text),
  );
}

/**
 * @param {CatalogueTemplate} template
 * @param {TemplateValues} values
 * @returns {HTMLElement | null}
 */
function header(template, values) {
  const head = template.header;
  if (!head) return null;
  if (head.format === 'text') {
    const parts = segments(head.text, () => valueOf(values, 'header'));
    return h('p', { class: 'template-preview-header' }, filled(parts));
  }
  const media = mediaHeader(template);
  const chosen = values.file?.name || values.mediaId.trim();
  return h(
    'p',
    { class: ['template-preview-media', !media || chosen ? '' : 'template-missing'] },
    h('span', { 'aria-hidden': 'true' }, `${MEDIA_ICON[head.format] || ''} `),
    t(`templates.header.${head.format}`),
    chosen ? `: ${chosen}` : '',
  );
}

/**
 * @param {TemplateButton} button
 * @param {TemplateValues} values
 * @returns {HTMLLIElement}
 */
function buttonItem(button, values) {
  const value = () => valueOf(values, `button:${button.index}`);
  let detail = null;
  if (button.type === 'url' && button.url) {
    detail = h('span', { class: 'template-preview-url' }, filled(segments(button.url, value)));
  } else if (button.type === 'copy_code') {
    const code = value();
    detail = h(
      'span',
      { class: ['template-preview-url', code ? '' : 'template-missing'] },
      code || t('templates.button.code'),
    );
  }
  return h(
    'li',
    { class: ['template-preview-button', `button-${button.type}`] },
    h('span', { class: 'template-preview-button-text' }, button.text),
    detail,
  );
}

/**
 * The preview bubble, drawn anew from the template and the values typed so far.
 * @param {CatalogueTemplate} template
 * @param {TemplateValues} values
 * @returns {HTMLElement}
 */
export function templatePreview(template, values) {
  const body = segments(template.body, (name) => valueOf(values, `body:${name}`));
  return h(
    'figure',
    { class: 'template-preview' },
    h('figcaption', { class: 'template-preview-caption' }, t('templates.preview')),
    h(
      'div',
      { class: 'bubble bubble-out template-bubble', dataset: { template: template.name } },
      header(template, values),
      h('p', { class: 'bubble-text template-preview-body' }, filled(body)),
      template.footer && h('p', { class: 'template-preview-footer' }, template.footer),
      template.buttons.length > 0 &&
        h(
          'ul',
          { class: 'template-preview-buttons', 'aria-label': t('templates.buttons') },
          template.buttons.map((button) => buttonItem(button, values)),
        ),
    ),
  );
}
