// @ts-check
// What a template asks of the person sending it, worked out from the catalogue's entry: one
// field per value (the header's, the body's in order, a URL or copy-code button's), and the
// message the API takes once they are filled. Pure: the picker draws it, tests can reason
// about it, and the text filled in is the same the server will check.

/**
 * @typedef {import('./templates-api.js').CatalogueTemplate} CatalogueTemplate
 * @typedef {import('./templates-api.js').TemplateButton} TemplateButton
 * @typedef {import('./templates-api.js').TemplateSend} TemplateSend
 * @typedef {'image' | 'document' | 'video'} MediaFormat
 */
/**
 * One field of the form: `key` is unique in the template (`header`, `body:nombre`,
 * `button:0`, `media`); `name` is the variable's name (`1`, `nombre`).
 * @typedef {(
 *   | { key: string, part: 'header', name: string, example: string | null }
 *   | { key: string, part: 'body', name: string, example: string | null }
 *   | { key: string, part: 'button', name: string, example: string | null, button: TemplateButton }
 *   | { key: 'media', part: 'media', format: MediaFormat }
 * )} TemplateField
 */
/**
 * What has been typed: text by field key, and a media header's file or stored media id.
 * @typedef {{ text: Record<string, string>, file: File | null, mediaId: string }} TemplateValues
 */
/**
 * A piece of a filled text: as the template has it, a value typed in, or a variable still
 * without one (shown as `{{1}}`).
 * @typedef {{ text: string, kind: 'literal' | 'value' | 'missing' }} Segment
 */

const VARIABLE = /\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g;
const VARIABLE_START = /\{\{\s*[A-Za-z0-9_]+\s*\}\}/;
/** @type {ReadonlySet<string>} */
const MEDIA = new Set(['image', 'document', 'video']);

/** @returns {TemplateValues} */
export function emptyValues() {
  return { text: {}, file: null, mediaId: '' };
}

/**
 * Whether the header is a file (image, document, video).
 * @param {CatalogueTemplate} template
 * @returns {MediaFormat | null}
 */
export function mediaHeader(template) {
  const format = template.header?.format;
  return format && MEDIA.has(format) ? /** @type {MediaFormat} */ (format) : null;
}

/**
 * The fields a template needs, in the order they appear in the message.
 * @param {CatalogueTemplate} template
 * @returns {TemplateField[]}
 */
export function fieldsOf(template) {
  /** @type {TemplateField[]} */
  const fields = [];
  const media = mediaHeader(template);
  if (media) fields.push({ key: 'media', part: 'media', format: media });
  const headerParameter = template.header?.format === 'text' ? template.header.parameter : null;
  if (headerParameter) {
    fields.push({
      key: 'header',
      part: 'header',
      name: headerParameter.name,
      example: headerParameter.example,
    });
  }
  for (const parameter of template.parameters) {
    fields.push({
      key: `body:${parameter.name}`,
      part: 'body',
      name: parameter.name,
      example: parameter.example,
    });
  }
  for (const button of template.buttons) {
    if (!button.parameter) continue;
    fields.push({
      key: `button:${button.index}`,
      part: 'button',
      name: button.parameter.name,
      example: urlSuffix(button.url, button.parameter.example),
      button,
    });
  }
  return fields;
}

/**
 * What of Meta's example a URL button's field takes: Meta's example is the whole address
 * (`https://x/p/F-1`), the value only what replaces the variable (`F-1`).
 * @param {string | null} url the button's address, `https://x/p/{{1}}`
 * @param {string | null} example
 * @returns {string | null}
 */
export function urlSuffix(url, example) {
  if (!url || !example) return example;
  const start = url.search(VARIABLE_START);
  const prefix = start >= 0 ? url.slice(0, start) : '';
  return prefix && example.startsWith(prefix) ? example.slice(prefix.length) : example;
}

/**
 * A field's value with spaces trimmed at both ends ('' when not typed).
 * @param {TemplateValues} values
 * @param {string} key
 */
export function valueOf(values, key) {
  return (values.text[key] || '').trim();
}

/**
 * The fields still empty.
 * @param {CatalogueTemplate} template
 * @param {TemplateValues} values
 * @returns {TemplateField[]}
 */
export function missingFields(template, values) {
  return fieldsOf(template).filter((field) =>
    field.part === 'media' ? !values.file && !values.mediaId.trim() : !valueOf(values, field.key),
  );
}

/**
 * The message the API takes, once every field is filled. A media header given as a file
 * goes beside it (multipart); as a stored media id, inside it.
 * @param {CatalogueTemplate} template
 * @param {TemplateValues} values
 * @returns {TemplateSend}
 */
export function templateMessage(template, values) {
  /** @type {TemplateSend} */
  const message = { name: template.name, language: template.language };
  if (template.parameters.length) {
    if (template.parameter_format === 'named') {
      /** @type {Record<string, string>} */
      const named = {};
      for (const p of template.parameters) named[p.name] = valueOf(values, `body:${p.name}`);
      message.parameters = named;
    } else {
      message.parameters = template.parameters.map((p) => valueOf(values, `body:${p.name}`));
    }
  }
  const media = mediaHeader(template);
  if (media && !values.file && values.mediaId.trim()) {
    message.header = { type: media, media_id: values.mediaId.trim() };
  } else if (template.header?.format === 'text' && template.header.parameter) {
    message.header = { type: 'text', text: valueOf(values, 'header') };
  }
  const buttons = template.buttons
    .filter((button) => button.parameter)
    .map((button) => ({ index: button.index, parameter: valueOf(values, `button:${button.index}`) }));
  if (buttons.length) message.buttons = buttons;
  return message;
}

/**
 * A template's text cut where its variables are, each filled with its value (or left as
 * `{{name}}`), replaced once and literally, as the server fills it: a value that holds
 * `{{2}}` stays as typed.
 * @param {string | null} text
 * @param {(name: string) => string} valueFor
 * @returns {Segment[]}
 */
export function segments(text, valueFor) {
  /** @type {Segment[]} */
  const parts = [];
  if (!text) return parts;
  let last = 0;
  for (const match of text.matchAll(VARIABLE)) {
    const at = match.index ?? 0;
    if (at > last) parts.push({ text: text.slice(last, at), kind: 'literal' });
    const value = valueFor(match[1] || '');
    parts.push(value ? { text: value, kind: 'value' } : { text: match[0], kind: 'missing' });
    last = at + match[0].length;
  }
  if (last < text.length) parts.push({ text: text.slice(last), kind: 'literal' });
  return parts;
}

/**
 * Approved and sendable first, then by name and language: the ones an agent can use are
 * on top, the paused and rejected ones below, greyed out.
 * @param {readonly CatalogueTemplate[]} templates
 * @returns {CatalogueTemplate[]}
 */
export function inPickingOrder(templates) {
  /** @param {CatalogueTemplate} t */
  const rank = (t) => (t.sendable ? 0 : 1) + (t.status === 'APPROVED' ? 0 : 2);
  return [...templates].sort(
    (a, b) =>
      rank(a) - rank(b) ||
      a.name.localeCompare(b.name) ||
      a.language.localeCompare(b.language),
  );
}

/**
 * A template's key in a list: its name and language.
 * @param {CatalogueTemplate} template
 */
export function templateKey(template) {
  return `${template.name}\u0000${template.language}`;
}
