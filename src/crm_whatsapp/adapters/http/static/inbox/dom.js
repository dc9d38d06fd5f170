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
 * Create an element.
 * attrs: `class`, `dataset` (object), `on` ({event: handler}), `style` (object of style
 * properties, set from JS so the CSP allows it), boolean/value properties, anything else via
 * setAttribute. null/undefined/false values are skipped.
 * children: Nodes, strings/numbers (as text nodes), arrays of those, null/false (skipped).
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === 'class') {
      el.className = Array.isArray(value) ? value.filter(Boolean).join(' ') : String(value);
    } else if (name === 'dataset') {
      for (const [key, v] of Object.entries(value)) {
        if (v !== null && v !== undefined) el.dataset[key] = String(v);
      }
    } else if (name === 'on') {
      for (const [event, handler] of Object.entries(value)) el.addEventListener(event, handler);
    } else if (name === 'style' && typeof value === 'object') {
      for (const [prop, v] of Object.entries(value)) el.style.setProperty(prop, String(v));
    } else if (PROPERTIES.has(name)) {
      el[name] = value;
    } else if (value === true) {
      el.setAttribute(name, '');
    } else {
      el.setAttribute(name, String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.appendChild(child);
    else el.appendChild(document.createTextNode(String(child)));
  }
}

/** Remove every child of `el`. */
export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

/** Replace the children of `el` with `children` (same rules as `h`). */
export function replaceChildren(el, ...children) {
  clear(el);
  append(el, children);
  return el;
}

let counter = 0;

/** A document-unique id for label/aria wiring (components may be created several times). */
export function uid(prefix) {
  counter += 1;
  return `${prefix}-${counter}`;
}

/** Visually hidden text for screen readers (icons get their name this way). */
export function srOnly(text) {
  return h('span', { class: 'sr-only' }, text);
}
