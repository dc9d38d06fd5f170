// @ts-check
// Translations and Intl formatting. Spanish is the default; pages re-render on the window's
// `languagechange` event. The texts are ../i18n/es.json and ../i18n/en.json, fetched relative
// to this module: that works under the pages' `connect-src 'self'` and also for the widget on
// a CRM page of another origin (the service sends them with `Access-Control-Allow-Origin: *`).
// The module finishes loading only once both are here (top-level await), so `t()` stays
// synchronous for every module that imports it.

/** @typedef {'es' | 'en'} Language */
/** @typedef {Record<string, string>} Messages */

const LANG_KEY = 'crm_whatsapp.lang';
/** @type {readonly Language[]} */
const SUPPORTED = ['es', 'en'];

/**
 * @param {unknown} value
 * @returns {value is Language}
 */
function isLanguage(value) {
  return SUPPORTED.some((lang) => lang === value);
}

/**
 * One language's texts; an empty table (keys show as themselves) if they cannot be loaded.
 * @param {Language} lang
 * @returns {Promise<Messages>}
 */
async function load(lang) {
  try {
    const response = await fetch(new URL(`../i18n/${lang}.json`, import.meta.url));
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    /** @type {unknown} */
    const table = await response.json();
    if (!table || typeof table !== 'object') throw new Error('not a JSON object');
    /** @type {Messages} */
    const texts = {};
    for (const [key, text] of Object.entries(table)) if (typeof text === 'string') texts[key] = text;
    return texts;
  } catch (error) {
    console.error(`crm_whatsapp: the ${lang} texts did not load`, error);
    return {};
  }
}

const [es, en] = await Promise.all([load('es'), load('en')]);
/** @type {Record<Language, Messages>} */
const messages = { es, en };

/**
 * More texts for a language (a host page's own keys, say); later keys win.
 * @param {Language} lang
 * @param {Messages} dict
 */
export function addMessages(lang, dict) {
  messages[lang] = { ...messages[lang], ...dict };
}

/** @returns {string | null} */
function stored() {
  try {
    return window.localStorage.getItem(LANG_KEY);
  } catch {
    return null;
  }
}

/** @type {Language} */
let language = (() => {
  const saved = stored();
  return isLanguage(saved) ? saved : 'es';
})();
if (typeof document !== 'undefined') document.documentElement.lang = language;

/** @returns {Language} */
export function currentLanguage() {
  return language;
}

/**
 * Switch language (anything unsupported means Spanish), remember it, and tell the page.
 * @param {string} lang
 */
export function setLanguage(lang) {
  const next = isLanguage(lang) ? lang : 'es';
  try {
    window.localStorage.setItem(LANG_KEY, next);
  } catch {
    // storage blocked: the choice lasts for this page only
  }
  const changed = next !== language;
  language = next;
  document.documentElement.lang = next;
  if (changed) window.dispatchEvent(new CustomEvent('languagechange', { detail: { lang: next } }));
}

/**
 * The text for `key` in the current language; `{name}` placeholders come from params.
 * @param {string} key
 * @param {Record<string, string | number>} [params]
 * @returns {string}
 */
export function t(key, params = {}) {
  const template = messages[language]?.[key] ?? messages.es[key] ?? key;
  return template.replace(/\{(\w+)\}/g, (whole, name) =>
    Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : whole,
  );
}

/** @typedef {string | Date | null | undefined} When an ISO 8601 date-time, or a Date */

/**
 * @param {When} iso
 * @returns {Date | null}
 */
function date(iso) {
  if (iso === null || iso === undefined || iso === '') return null;
  const value = iso instanceof Date ? iso : new Date(iso);
  return Number.isNaN(value.getTime()) ? null : value;
}

function locale() {
  return language === 'en' ? 'en-GB' : 'es-ES';
}

// Building an Intl formatter costs far more than using one, and a long chat formats
// thousands of times while scrolling: one formatter per language and shape.
/** @type {Map<string, Intl.DateTimeFormat>} */
const dateFormatters = new Map();
/** @type {Map<string, Intl.NumberFormat>} */
const numberFormatters = new Map();

/**
 * @param {string} shape
 * @param {Intl.DateTimeFormatOptions} options
 * @returns {Intl.DateTimeFormat}
 */
function dateFormat(shape, options) {
  const key = `${locale()}|${shape}`;
  let format = dateFormatters.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat(locale(), options);
    dateFormatters.set(key, format);
  }
  return format;
}

/**
 * @param {string} shape
 * @param {Intl.NumberFormatOptions} options
 * @returns {Intl.NumberFormat}
 */
function numberFormat(shape, options) {
  const key = `${locale()}|number:${shape}`;
  let format = numberFormatters.get(key);
  if (!format) {
    format = new Intl.NumberFormat(locale(), options);
    numberFormatters.set(key, format);
  }
  return format;
}

/**
 * @param {When} iso
 * @returns {string}
 */
export function formatDateTime(iso) {
  const value = date(iso);
  if (!value) return '';
  return dateFormat('datetime', { dateStyle: 'medium', timeStyle: 'short' }).format(value);
}

/**
 * @param {When} iso
 * @returns {string}
 */
export function formatTime(iso) {
  const value = date(iso);
  if (!value) return '';
  return dateFormat('time', { hour: '2-digit', minute: '2-digit' }).format(value);
}

/**
 * @param {When} iso
 * @returns {string}
 */
export function formatDay(iso) {
  const value = date(iso);
  if (!value) return '';
  return dateFormat('day', {
    weekday: 'long',
    day: 'numeric',
    month: 'long',
    year: 'numeric',
  }).format(value);
}

/**
 * Short form for lists: the time today, the date otherwise.
 * @param {When} iso
 * @returns {string}
 */
export function formatShort(iso) {
  const value = date(iso);
  if (!value) return '';
  const now = new Date();
  if (value.toDateString() === now.toDateString()) return formatTime(value);
  const sameYear = value.getFullYear() === now.getFullYear();
  return dateFormat(sameYear ? 'short' : 'short-year', {
    day: 'numeric',
    month: 'short',
    year: sameYear ? undefined : 'numeric',
  }).format(value);
}

/**
 * @param {number | null | undefined} n
 * @returns {string}
 */
export function formatNumber(n) {
  if (n === null || n === undefined || Number.isNaN(Number(n))) return '';
  return numberFormat('plain', {}).format(n);
}

/**
 * @param {number | null | undefined} x a share (0.25 for 25 %)
 * @returns {string}
 */
export function formatPercent(x) {
  if (x === null || x === undefined || Number.isNaN(Number(x))) return '';
  return numberFormat('percent', { style: 'percent', maximumFractionDigits: 1 }).format(x);
}

/** @type {ReadonlyArray<'byte' | 'kilobyte' | 'megabyte' | 'gigabyte'>} */
const BYTE_UNITS = ['byte', 'kilobyte', 'megabyte', 'gigabyte'];

/**
 * A file size for people: "1,2 MB" in Spanish, "1.2 MB" in English (units of 1,024).
 * @param {number | null | undefined} bytes
 * @returns {string}
 */
export function formatBytes(bytes) {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes) || bytes < 0) return '';
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  // "532 B" alike in both languages (Intl's English short form says "532 byte")
  if (unit === 0) return `${formatNumber(value)} B`;
  const digits = value >= 100 ? 0 : 1;
  return numberFormat(`bytes:${BYTE_UNITS[unit]}:${digits}`, {
    style: 'unit',
    unit: BYTE_UNITS[unit],
    unitDisplay: 'short',
    maximumFractionDigits: digits,
  }).format(value);
}
