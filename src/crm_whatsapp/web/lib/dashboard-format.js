// @ts-check
// The formats only the dashboard needs (its texts are in ../i18n/*.json with the others).
import { currentLanguage, t } from './i18n.js';

function locale() {
  return currentLanguage() === 'en' ? 'en-GB' : 'es-ES';
}

/**
 * A short day for an axis ("5 ene"); the day is a calendar date, so no timezone shift.
 * @param {string} iso YYYY-MM-DD
 * @returns {string}
 */
export function formatDayShort(iso) {
  const value = new Date(`${iso}T00:00:00Z`);
  if (Number.isNaN(value.getTime())) return '';
  return new Intl.DateTimeFormat(locale(), { day: 'numeric', month: 'short', timeZone: 'UTC' })
    .format(value)
    .replace('.', '');
}

/**
 * A calendar day in full ("lunes, 5 de enero de 2026").
 * @param {string} iso YYYY-MM-DD
 * @returns {string}
 */
export function formatDayLong(iso) {
  const value = new Date(`${iso}T00:00:00Z`);
  if (Number.isNaN(value.getTime())) return '';
  return new Intl.DateTimeFormat(locale(), {
    weekday: 'long',
    day: 'numeric',
    month: 'long',
    year: 'numeric',
    timeZone: 'UTC',
  }).format(value);
}

/**
 * Weekday names, Monday first (the API's order).
 * @param {'long' | 'short' | 'narrow'} [style]
 * @returns {string[]}
 */
export function weekdayNames(style = 'short') {
  // 2024-01-01 was a Monday
  return Array.from({ length: 7 }, (_, i) =>
    new Intl.DateTimeFormat(locale(), { weekday: style, timeZone: 'UTC' })
      .format(new Date(Date.UTC(2024, 0, 1 + i)))
      .replace('.', ''),
  );
}

/**
 * A duration as people say it: "0,4 s", "12 s", "3 min 5 s", "1 h 5 min", "2 d 3 h".
 * @param {number} seconds
 * @returns {string}
 */
export function formatDuration(seconds) {
  if (!Number.isFinite(seconds) || seconds < 0) return '';
  const decimal = new Intl.NumberFormat(locale(), { maximumFractionDigits: 1 });
  if (seconds < 10) return `${decimal.format(seconds)} s`;
  const whole = Math.round(seconds);
  if (whole < 60) return `${whole} s`;
  /** @type {(big: number, bigUnit: string, small: number, smallUnit: string) => string} */
  const parts = (big, bigUnit, small, smallUnit) =>
    small > 0 ? `${big} ${bigUnit} ${small} ${smallUnit}` : `${big} ${bigUnit}`;
  if (whole < 600) return parts(Math.floor(whole / 60), 'min', whole % 60, 's');
  const minutes = Math.round(whole / 60);
  if (minutes < 60) return `${minutes} min`;
  if (minutes < 24 * 60) return parts(Math.floor(minutes / 60), 'h', minutes % 60, 'min');
  const hours = Math.round(minutes / 60);
  return parts(Math.floor(hours / 24), 'd', hours % 24, 'h');
}

/**
 * What a Cloud API error code means, or '' for a code we do not know.
 * @param {string} code
 * @returns {string}
 */
export function describeErrorCode(code) {
  const key = `meta_error.${code}`;
  const text = t(key);
  return text === key ? '' : text;
}
