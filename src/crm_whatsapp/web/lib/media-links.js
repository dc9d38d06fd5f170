// @ts-check
// The signed links of media files (`/api/v1/medios/{id}?expira=<unix time>&firma=...`) live
// a few minutes. Two rules follow: a message fetched again keeps the link it already has
// while that one is still good (a new signature each second would otherwise draw the row
// again and download its picture again on every refresh), and an expired link is noticed
// (by its `expira`) so the page can list the message again for a fresh one.

/**
 * @typedef {import('./conversaciones-whatsapp.js').MessageOut} MessageOut
 * @typedef {import('./conversaciones-whatsapp.js').MediaOut} MediaOut
 */

/** A link with less than this left is replaced by a newer one when one arrives. */
const KEEP_MS = 2 * 60 * 1000;

/**
 * When a signed link stops working (ms since the epoch); null for a link that does not
 * say (a plain path, which needs the token).
 * @param {string | null | undefined} url
 * @returns {number | null}
 */
export function linkExpiry(url) {
  if (!url) return null;
  const query = url.indexOf('?');
  if (query < 0) return null;
  const seconds = Number(new URLSearchParams(url.slice(query + 1)).get('expira'));
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : null;
}

/**
 * Whether a link has expired, or will within `marginMs`.
 * @param {string | null | undefined} url
 * @param {number} [marginMs]
 * @param {number} [now]
 */
export function linkExpired(url, marginMs = 0, now = Date.now()) {
  const expiry = linkExpiry(url);
  return expiry !== null && expiry - marginMs <= now;
}

/**
 * `incoming` as it should be stored when `old` is the same message as known so far: with
 * old's link if only the link changed and old's is good for a while yet.
 * @param {MessageOut | undefined} old
 * @param {MessageOut} incoming
 * @param {number} [now]
 * @returns {MessageOut}
 */
export function keepLink(old, incoming, now = Date.now()) {
  const before = old?.media;
  const after = incoming.media;
  if (!before?.url || !after?.url || before.url === after.url) return incoming;
  if (before.status !== after.status || before.sha256 !== after.sha256) return incoming;
  if (linkExpired(before.url, KEEP_MS, now)) return incoming;
  return { ...incoming, media: { ...after, url: before.url } };
}
