// @ts-check
// Tiny DOM builder. Every string child becomes a text node, so customer-controlled text can
// never turn into markup; there is deliberately no way to set HTML through this module.

const PROPERTIES = new Set([
  'value',
  'checked',
  'disabled',
  'selected',
  'hidden',
  'type',
  'indeterminate',
]);

/**
 * A child of `h`: a node, text (strings and numbers become text nodes), nothing (skipped),
 * or an array of those.
 * @typedef {Node | string | number | null | undefined | false | '' | 0 | ChildList} Child
 */
/** @typedef {readonly Child[]} ChildList */

/**
 * Event handlers of `h`, by event name, each given the event type the DOM fires under it.
 * @typedef {{ [K in keyof HTMLElementEventMap]?: (event: HTMLElementEventMap[K]) => unknown }} Handlers
 */

/**
 * Attributes of `h`: `class` (a string, or a list whose falsy entries are skipped),
 * `dataset`, `on` (event handlers), `style` (style properties), and any attribute or
 * property by name (null, undefined and false skip it; true sets an empty attribute).
 * @typedef {{
 *   class?: string | ReadonlyArray<string | false | null | undefined | ''>,
 *   dataset?: Record<string, string | number | boolean | null | undefined>,
 *   on?: Handlers,
 *   style?: Record<string, string | number>,
 *   [name: string]: unknown,
 * }} Attrs
 */

/**
 * Create an element.
 * attrs: `class`, `dataset` (object), `on` ({event: handler}), `style` (object of style
 * properties, set from JS so the CSP allows it), boolean/value properties, anything else via
 * setAttribute. null/undefined/false values are skipped.
 * children: Nodes, strings/numbers (as text nodes), arrays of those, null/false (skipped).
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Attrs | null} [attrs]
 * @param {...Child} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === 'class') {
      el.className = Array.isArray(value) ? value.filter(Boolean).join(' ') : String(value);
    } else if (name === 'dataset' && typeof value === 'object') {
      for (const [key, v] of Object.entries(value)) {
        if (v !== null && v !== undefined) el.dataset[key] = String(v);
      }
    } else if (name === 'on' && typeof value === 'object') {
      for (const [event, handler] of Object.entries(value)) {
        if (typeof handler === 'function') el.addEventListener(event, handler);
      }
    } else if (name === 'style' && typeof value === 'object') {
      for (const [prop, v] of Object.entries(value)) el.style.setProperty(prop, String(v));
    } else if (PROPERTIES.has(name)) {
      /** @type {Record<string, unknown>} */ (/** @type {unknown} */ (el))[name] = value;
    } else if (value === true) {
      el.setAttribute(name, '');
    } else {
      el.setAttribute(name, String(value));
    }
  }
  append(el, children);
  return el;
}

/**
 * @param {Node} el
 * @param {readonly Child[]} children
 */
function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.appendChild(child);
    else el.appendChild(document.createTextNode(String(child)));
  }
}

/**
 * Remove every child of `el`.
 * @template {Node} T
 * @param {T} el
 * @returns {T}
 */
export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

/**
 * Replace the children of `el` with `children` (same rules as `h`).
 * @template {Node} T
 * @param {T} el
 * @param {...Child} children
 * @returns {T}
 */
export function replaceChildren(el, ...children) {
  clear(el);
  append(el, children);
  return el;
}

let counter = 0;

/**
 * A document-unique id for label/aria wiring (components may be created several times).
 * @param {string} prefix
 * @returns {string}
 */
export function uid(prefix) {
  counter += 1;
  return `${prefix}-${counter}`;
}

/**
 * The focused element of the document or shadow root `node` is in.
 * @param {Node} node
 * @returns {Element | null}
 */
export function activeElementOf(node) {
  const root = node.getRootNode();
  return root instanceof Document || root instanceof ShadowRoot ? root.activeElement : null;
}

/**
 * The value of the form control an event came from ('' for any other target).
 * @param {Event} event
 * @returns {string}
 */
export function targetValue(event) {
  const target = event.target;
  const control =
    target instanceof HTMLInputElement ||
    target instanceof HTMLSelectElement ||
    target instanceof HTMLTextAreaElement;
  return control ? target.value : '';
}

/**
 * Visually hidden text for screen readers (icons get their name this way).
 * @param {string} text
 * @returns {HTMLSpanElement}
 */
export function srOnly(text) {
  return h('span', { class: 'sr-only' }, text);
}
