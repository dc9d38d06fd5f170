// @ts-check
// One chat bubble per message. Everything the customer (or Meta) sent is put in text nodes.
import { h, srOnly } from '../lib/dom.js';
import { formatDay, formatTime, t } from '../lib/i18n.js';
import { interactiveParts } from './interactive-view.js';
import { hasMedia, isBareSticker, mediaBody } from './media-view.js';

/**
 * @typedef {import('../lib/conversaciones-whatsapp.js').MessageOut} MessageOut
 * @typedef {import('../lib/conversaciones-whatsapp.js').DeliveryOut} DeliveryOut
 * @typedef {MessageOut['details']} Details what Meta sent beyond the text: its shape varies
 * @typedef {import('./media-view.js').MediaContext} MediaContext
 */

/** @type {Record<string, string>} */
const TICKS = {
  pending: '🕓',
  sent: '✓',
  delivered: '✓✓',
  read: '✓✓',
  failed: '⚠',
};

/** @type {Record<string, string>} */
const ICONS = {
  image: '🖼️',
  audio: '🎵',
  video: '🎬',
  document: '📄',
  sticker: '🏷️',
  location: '📍',
  contacts: '👤',
  interactive: '🔘',
  button: '🔘',
  reaction: '💬',
  order: '🛒',
  system: 'ℹ️',
  template: '📋',
  unsupported: '❓',
};

/**
 * @param {unknown} value
 * @returns {string}
 */
function text(value) {
  if (typeof value === 'string') return value;
  return value === null || value === undefined ? '' : String(value);
}

/**
 * A property of a value of unknown shape (Meta's parts of a message), or undefined.
 * @param {unknown} value
 * @param {string} name
 * @returns {unknown}
 */
function prop(value, name) {
  return value !== null && typeof value === 'object'
    ? /** @type {Record<string, unknown>} */ (value)[name]
    : undefined;
}

/**
 * @param {DeliveryOut | null | undefined} delivery
 * @returns {HTMLSpanElement}
 */
export function tick(delivery) {
  const status = delivery?.status || 'pending';
  let label = t(`status.${status}`);
  if (status === 'failed' && delivery?.last_error) {
    label = t('status.failed.reason', {
      title: text(delivery.last_error.title),
      code: text(delivery.last_error.code),
    });
  }
  return h(
    'span',
    { class: ['tick', `tick-${status}`], dataset: { status }, title: label },
    h('span', { 'aria-hidden': 'true' }, TICKS[status] || ''),
    srOnly(label),
  );
}

/**
 * @param {MessageOut} message
 * @returns {string | null}
 */
function authorLabel(message) {
  /** @type {Partial<MessageOut['author']>} */
  const author = message.author || {};
  if (author.kind === 'bot') return t('chat.bot');
  if (author.kind === 'agent') return text(author.name) || t('chat.agent');
  // sent from the WhatsApp Business app on the same number (that pauses the bot)
  if (author.kind === 'phone_app') return t('chat.phone_app');
  return null;
}

/**
 * @param {string} kind
 * @param {Details | undefined} details
 * @returns {string}
 */
function kindLabel(kind, details) {
  if (kind === 'audio' && details?.voice) return t('kind.voice');
  return t(`kind.${kind}`);
}

/** @param {unknown} value */
function coordinate(value) {
  const number = Number(value);
  return Number.isFinite(number) ? number.toFixed(5) : text(value);
}

/**
 * @param {Details} details
 * @returns {Array<HTMLElement | false | null | undefined | '' | 0>}
 */
function locationBody(details) {
  const place = details?.location || {};
  const name = prop(place, 'name');
  const address = prop(place, 'address');
  const latitude = prop(place, 'latitude');
  const longitude = prop(place, 'longitude');
  return [
    Boolean(name) && h('strong', { class: 'place-name' }, text(name)),
    Boolean(address) && h('span', { class: 'place-address' }, text(address)),
    (latitude !== undefined || longitude !== undefined) &&
      h('span', { class: 'place-coordinates' }, `${coordinate(latitude)}, ${coordinate(longitude)}`),
  ];
}

/**
 * @param {Details} details
 * @returns {HTMLUListElement}
 */
function contactsBody(details) {
  /** @type {unknown[]} */
  const contacts = Array.isArray(details?.contacts) ? details.contacts : [];
  return h(
    'ul',
    { class: 'contact-list' },
    contacts.map((contact) => {
      const named = prop(contact, 'name');
      const name = text(prop(named, 'formatted_name') || prop(named, 'first_name') || '');
      const listed = prop(contact, 'phones');
      /** @type {unknown[]} */
      const all = Array.isArray(listed) ? listed : [];
      const phones = all.map((p) => text(prop(p, 'phone') || prop(p, 'wa_id'))).filter(Boolean);
      return h('li', {}, h('strong', {}, name), phones.length ? ` ${phones.join(', ')}` : '');
    }),
  );
}

/**
 * @param {MessageOut} message
 * @returns {Array<HTMLElement | null>}
 */
function templateBody(message) {
  /** @type {Partial<NonNullable<MessageOut['template']>>} */
  const template = message.template || {};
  const parameters = Array.isArray(template.parameters) ? template.parameters : [];
  return [
    h(
      'span',
      { class: 'template-name' },
      t('kind.template.name', { name: text(template.name), language: text(template.language) }),
    ),
    parameters.length
      ? h('ol', { class: 'template-parameters' }, parameters.map((p) => h('li', {}, text(p))))
      : null,
  ];
}

/**
 * Drop the parts a body leaves out (falsy entries).
 * @param {ReadonlyArray<HTMLElement | false | null | undefined | '' | 0>} parts
 * @returns {HTMLElement[]}
 */
function present(parts) {
  /** @type {HTMLElement[]} */
  const kept = [];
  for (const part of parts) if (part) kept.push(part);
  return kept;
}

/**
 * The part of a bubble that depends on the message kind. A file (picture, sound, video,
 * document, sticker) is drawn by media-view.js when there is a media context to draw with.
 * @param {MessageOut} message
 * @param {MediaContext | null} [media]
 * @returns {HTMLDivElement}
 */
export function messageBody(message, media = null) {
  const kind = message.kind || 'text';
  const details = message.details || {};
  const body = h('div', { class: 'bubble-body' });
  if (kind === 'text') {
    body.append(h('p', { class: 'bubble-text' }, text(message.text)));
    return body;
  }
  if (media && hasMedia(message)) {
    body.append(mediaBody(message, media));
    if (message.text) body.append(h('p', { class: 'bubble-text' }, text(message.text)));
    return body;
  }
  const interactive = interactiveParts(message); // buttons or a list, or a customer's choice
  if (interactive) {
    body.append(...interactive);
    return body;
  }
  const label = h(
    'span',
    { class: 'kind-label' },
    h('span', { class: 'kind-icon', 'aria-hidden': 'true' }, ICONS[kind] || '❓'),
    ` ${kindLabel(kind, details)}`,
  );
  body.append(label);
  if (kind === 'template' && message.template) {
    body.append(...present(templateBody(message)));
  } else if (kind === 'location') {
    body.append(...present(locationBody(details)));
  } else if (kind === 'contacts') {
    body.append(contactsBody(details));
  } else if (kind === 'reaction') {
    const emoji = prop(details?.reaction, 'emoji') || message.text;
    if (emoji) body.append(h('span', { class: 'reaction' }, text(emoji)));
  } else if (kind === 'document' && details.filename) {
    body.append(h('span', { class: 'file-name' }, text(details.filename)));
  } else if (kind === 'unsupported' && details.type && details.type !== 'unsupported') {
    body.append(h('span', { class: 'muted' }, text(details.type)));
  }
  if (kind !== 'reaction' && message.text) {
    body.append(h('p', { class: 'bubble-text' }, text(message.text)));
  }
  return body;
}

/**
 * @param {MessageOut} message
 * @param {ReadonlyMap<string, MessageOut>} byWamid
 * @returns {HTMLQuoteElement}
 */
function quote(message, byWamid) {
  const quoted = message.reply_to_wamid ? byWamid.get(message.reply_to_wamid) : undefined;
  const who = quoted ? authorLabel(quoted) || t('chat.customer') : null;
  const snippet = quoted
    ? text(quoted.text) || kindLabel(quoted.kind, quoted.details)
    : t('chat.previous');
  return h(
    'blockquote',
    { class: 'quote', dataset: { replyTo: message.reply_to_wamid } },
    srOnly(`${t('chat.reply_to')}: `),
    who && h('span', { class: 'quote-author' }, who),
    h('span', { class: 'quote-text' }, snippet),
  );
}

/**
 * The row element for a message: a wrapper (for spacing) holding the bubble.
 * @param {MessageOut} message
 * @param {ReadonlyMap<string, MessageOut>} byWamid
 * @param {MediaContext | null} [media] to draw files (without it: their kind and name only)
 * @returns {HTMLDivElement}
 */
export function messageRow(message, byWamid, media = null) {
  const outbound = message.direction === 'outbound';
  const author = outbound ? authorLabel(message) : null;
  const bubble = h(
    'article',
    {
      class: [
        'bubble',
        outbound ? 'bubble-out' : 'bubble-in',
        `kind-${message.kind}`,
        media && isBareSticker(message) && 'bubble-bare',
      ],
      dataset: { messageId: message.id, direction: message.direction, kind: message.kind },
    },
    author && h('span', { class: ['bubble-author', `author-${message.author?.kind}`] }, author),
    message.reply_to_wamid && quote(message, byWamid),
    messageBody(message, media),
    h(
      'span',
      { class: 'bubble-meta' },
      h('time', { datetime: message.sent_at }, formatTime(message.sent_at)),
      outbound && tick(message.delivery),
    ),
  );
  return h('div', { class: ['row', outbound ? 'row-out' : 'row-in'] }, bubble);
}

/**
 * @param {string} iso
 * @returns {HTMLDivElement}
 */
export function dayRow(iso) {
  return h(
    'div',
    { class: 'row row-day' },
    h('span', { class: 'day-separator' }, formatDay(iso)),
  );
}

/**
 * A local calendar day, for grouping.
 * @param {string} iso
 * @returns {string}
 */
export function dayKey(iso) {
  const value = new Date(iso);
  if (Number.isNaN(value.getTime())) return 'unknown';
  return `${value.getFullYear()}-${value.getMonth() + 1}-${value.getDate()}`;
}

/**
 * A line for the screen-reader announcement of a new message.
 * @param {MessageOut} message
 * @param {string} name
 * @returns {string}
 */
export function announcement(message, name) {
  const what =
    message.kind === 'text'
      ? text(message.text)
      : `${kindLabel(message.kind, message.details)} ${text(message.text)}`;
  return `${t('chat.new_message', { name })}: ${what.slice(0, 200)}`;
}
