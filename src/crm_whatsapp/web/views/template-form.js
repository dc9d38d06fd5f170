// @ts-check
// The form of one chosen template: a labelled field per value it needs (the header's text
// or file, the body's `{{1}}`/`{{nombre}}` with Meta's example as placeholder, a URL or
// copy-code button's value), the live preview, and the send button, disabled until every
// field is filled. The server checks the same again; its refusal is shown under the form.
// A change of language writes the texts again in place (render), so nothing typed, no
// chosen file, no refusal and no focus is lost.
import { ApiError } from '../lib/conversaciones-whatsapp.js';
import { h, uid } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { fieldsOf, missingFields, templateMessage } from '../lib/template-fields.js';
import { templatePreview } from './template-preview.js';

/**
 * @typedef {import('../lib/templates-api.js').CatalogueTemplate} CatalogueTemplate
 * @typedef {import('../lib/templates-api.js').TemplateSend} TemplateSend
 * @typedef {import('../lib/template-fields.js').TemplateField} TemplateField
 * @typedef {import('../lib/template-fields.js').TemplateValues} TemplateValues
 * @typedef {(message: TemplateSend, file: File | null) => Promise<unknown>} SendTemplate
 */
/**
 * @typedef {object} TemplateFormOptions
 * @property {CatalogueTemplate} template
 * @property {TemplateValues} values kept by the picker, so a redraw loses nothing typed
 * @property {SendTemplate} send rejects with the API's error
 * @property {() => void} onSent
 * @property {boolean} allowUpload whether a media header may be a file chosen here
 * @property {string | null} blocked why it cannot be sent yet (no recipient), or null
 */

/** What WhatsApp accepts as a template header's file, by kind. */
const ACCEPT = /** @type {Readonly<Record<string, string>>} */ ({
  image: 'image/jpeg,image/png',
  video: 'video/mp4,video/3gpp',
  document: '',
});

/** The longest value the API takes, by part (Meta's limits). */
const MAX_LENGTH = /** @type {Readonly<Record<string, string>>} */ ({
  header: '60',
  body: '1024',
  button: '2000',
});

/** Error codes of the template endpoints that have an explanation of ours. */
const EXPLAINED = new Set([
  'template_not_found',
  'template_not_sendable',
  'invalid_template_parameters',
  'marketing_opt_out',
  'customer_opted_out',
]);

/**
 * What to show of a refusal: our explanation, then the server's own words (as text).
 * @param {unknown} error
 * @returns {string}
 */
export function refusalText(error) {
  if (!(error instanceof ApiError)) return t('error.network');
  const ours = EXPLAINED.has(error.code) ? t(`templates.error.${error.code}`) : '';
  const theirs = error.status === 0 ? t('error.network') : error.message;
  if (ours && theirs && theirs !== error.code) return `${ours} (${theirs})`;
  return ours || theirs || t('error.network');
}

/**
 * The label of a field, naming the variable the way the template writes it.
 * @param {TemplateField} field
 * @returns {string}
 */
export function fieldLabel(field) {
  if (field.part === 'media') return t(`templates.header.${field.format}`);
  const variable = `{{${field.name}}}`;
  if (field.part === 'body') return variable;
  if (field.part === 'header') return t('templates.field.header', { name: variable });
  if (field.button.type === 'copy_code') {
    return t('templates.field.code', { button: field.button.text });
  }
  return t('templates.field.url', { button: field.button.text, name: variable });
}

export class TemplateForm {
  /** @param {TemplateFormOptions} options */
  constructor({ template, values, send, onSent, allowUpload, blocked }) {
    this.template = template;
    this.values = values;
    this.sendTemplate = send;
    this.onSent = onSent;
    this.allowUpload = allowUpload;
    this.blocked = blocked;
    this.sending = false;
    /** @type {{ error: unknown } | null} the last refusal, shown until the next send */
    this.refusal = null;
    /** @type {Array<() => void>} what writes each text of ours again (see worded) */
    this.wordings = [];
    this.fields = fieldsOf(template);
    this.hintId = uid('template-hint');
    this.previewHost = h('div', { class: 'template-preview-host' });
    this.hint = h('p', { id: this.hintId, class: 'template-hint muted' });
    this.error = h('p', { class: 'error template-error', role: 'alert' });
    this.submit = h(
      'button',
      { type: 'submit', class: 'button button-primary template-send', 'aria-describedby': this.hintId },
      t('templates.send'),
    );
    /** @type {HTMLFormElement} */
    this.element = h(
      'form',
      {
        class: 'template-fill',
        novalidate: true,
        dataset: { template: template.name, language: template.language },
        on: {
          submit: (event) => {
            event.preventDefault();
            this.send();
          },
        },
      },
      h(
        'fieldset',
        { class: 'template-fields' },
        this.worded('legend', {}, () =>
          t('templates.fill', { name: template.name, language: template.language }),
        ),
        this.fields.length
          ? this.fields.map((field) => this.control(field))
          : this.worded('p', { class: 'muted' }, () => t('templates.no_fields')),
      ),
      this.previewHost,
      this.hint,
      this.error,
      h('div', { class: 'template-actions' }, this.submit),
    );
    this.update();
  }

  /**
   * An element holding a text of ours, which render() writes again in the new language.
   * @template {keyof HTMLElementTagNameMap} K
   * @param {K} tag
   * @param {import('../lib/dom.js').Attrs} attrs
   * @param {() => string} text
   * @returns {HTMLElementTagNameMap[K]}
   */
  worded(tag, attrs, text) {
    const element = h(tag, attrs, text());
    this.wordings.push(() => {
      element.textContent = text();
    });
    return element;
  }

  /** The language changed: every text again, the controls (and what they hold) kept. */
  render() {
    for (const write of this.wordings) write();
    this.error.textContent = this.refusal ? refusalText(this.refusal.error) : '';
    this.update();
  }

  /**
   * A field's control, labelled; typing updates the preview at once.
   * @param {TemplateField} field
   * @returns {HTMLElement}
   */
  control(field) {
    if (field.part === 'media') return this.mediaControl(field.format);
    const id = uid(`template-${field.part}`);
    return h(
      'div',
      { class: ['field', `template-field-${field.part}`] },
      this.worded('label', { for: id }, () => fieldLabel(field)),
      h('input', {
        id,
        type: 'text',
        required: true,
        autocomplete: 'off',
        maxlength: MAX_LENGTH[field.part] || '2000',
        placeholder: field.example || null,
        dataset: { key: field.key },
        value: this.values.text[field.key] || '',
        on: {
          input: (event) => {
            const target = /** @type {HTMLInputElement} */ (event.currentTarget);
            this.values.text[field.key] = target.value;
            this.update();
          },
        },
      }),
    );
  }

  /**
   * A media header: a file chosen here (when the endpoint takes uploads), or the id of a
   * message whose file the service keeps.
   * @param {'image' | 'document' | 'video'} format
   * @returns {HTMLFieldSetElement}
   */
  mediaControl(format) {
    const fileId = uid('template-file');
    const mediaId = uid('template-media-id');
    const chosen = h('span', { class: 'muted template-file-name' }, this.values.file?.name || '');
    return h(
      'fieldset',
      { class: 'template-media' },
      this.worded('legend', {}, () =>
        t('templates.field.media', { kind: t(`templates.header.${format}`) }),
      ),
      this.allowUpload &&
        h(
          'div',
          { class: 'field' },
          this.worded('label', { for: fileId }, () => t('templates.field.file')),
          h('input', {
            id: fileId,
            type: 'file',
            accept: ACCEPT[format] || null,
            on: {
              change: (event) => {
                const target = /** @type {HTMLInputElement} */ (event.currentTarget);
                this.values.file = target.files?.[0] || null;
                chosen.textContent = this.values.file?.name || '';
                this.update();
              },
            },
          }),
          chosen,
        ),
      h(
        'div',
        { class: 'field' },
        this.worded('label', { for: mediaId }, () =>
          t(this.allowUpload ? 'templates.field.media_id.or' : 'templates.field.media_id'),
        ),
        h('input', {
          id: mediaId,
          type: 'text',
          autocomplete: 'off',
          value: this.values.mediaId,
          dataset: { key: 'media' },
          on: {
            input: (event) => {
              this.values.mediaId = /** @type {HTMLInputElement} */ (event.currentTarget).value;
              this.update();
            },
          },
        }),
      ),
    );
  }

  /** @param {string | null} reason */
  setBlocked(reason) {
    this.blocked = reason;
    this.update();
  }

  /** The preview, the hint that says what is missing, and whether sending is possible. */
  update() {
    this.previewHost.replaceChildren(templatePreview(this.template, this.values));
    const missing = missingFields(this.template, this.values);
    let hint = '';
    if (missing.length) {
      hint = t('templates.missing', { fields: missing.map(fieldLabel).join(', ') });
    } else if (this.blocked) {
      hint = this.blocked;
    }
    this.hint.textContent = hint;
    this.hint.hidden = !hint;
    this.submit.disabled = this.sending || missing.length > 0 || Boolean(this.blocked);
    this.submit.textContent = this.sending ? t('composer.sending') : t('templates.send');
  }

  focusFirst() {
    /** @type {HTMLInputElement | null} */
    const first = this.element.querySelector('input');
    (first || this.submit).focus();
  }

  async send() {
    if (this.sending || this.blocked || missingFields(this.template, this.values).length) return;
    const file = this.allowUpload ? this.values.file : null;
    const message = templateMessage(this.template, { ...this.values, file });
    this.sending = true;
    this.refusal = null;
    this.error.textContent = '';
    this.update();
    try {
      await this.sendTemplate(message, file);
    } catch (error) {
      this.sending = false;
      this.refusal = { error };
      this.error.textContent = refusalText(error);
      this.update();
      return;
    }
    this.sending = false;
    this.onSent();
  }
}
