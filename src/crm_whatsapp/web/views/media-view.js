// @ts-check
// The file of a media message inside its bubble: a picture, a player, a document card, or
// what is happening to the file (downloading, failed with a retry, deleted). Every box has a
// fixed size, so a picture that arrives later never changes its row's height (the windowed
// list measures each row once), and players load nothing until played (preload="none").
// File names, captions and errors come from customers or from Meta: text nodes only.
import { messageOf } from '../lib/conversaciones-whatsapp.js';
import { h } from '../lib/dom.js';
import { formatBytes, t } from '../lib/i18n.js';
import { linkExpired } from '../lib/media-links.js';
import { icon } from './icons.js';
import { enlarge } from './media-dialog.js';

/**
 * @typedef {import('../lib/conversaciones-whatsapp.js').ConversationsService} ConversationsService
 * @typedef {import('../lib/conversaciones-whatsapp.js').MessageOut} MessageOut
 * @typedef {import('../lib/conversaciones-whatsapp.js').MediaOut} MediaOut
 */
/**
 * What a media bubble needs from the chat around it.
 * @typedef {object} MediaContext
 * @property {ConversationsService} service makes the links absolute, retries
 * @property {(message: MessageOut) => void} onChanged a newer state of the message (a retry's answer)
 * @property {(message: MessageOut) => Promise<MessageOut | null>} onStale its link stopped
 *   working (it expired): list the message again; resolves with its fresh state, if any
 */

const MEDIA_KINDS = new Set(['image', 'audio', 'video', 'document', 'sticker']);

/** Heights of the boxes below (CSS: .media-*), for the list's estimate before measuring. */
const HEIGHTS = /** @type {const} */ ({
  image: 210,
  sticker: 128,
  video: 158,
  audio: 76,
  document: 60,
  note: 56,
});

/** @type {Record<string, string>} */
const ICONS = { image: '🖼️', audio: '🎵', voice: '🎤', video: '🎬', document: '📄', sticker: '🏷️' };

/**
 * @param {MessageOut} message
 * @returns {message is MessageOut & { media: MediaOut }}
 */
export function hasMedia(message) {
  return MEDIA_KINDS.has(message.kind) && Boolean(message.media);
}

/**
 * A stored sticker is shown bare, without the bubble's background.
 * @param {MessageOut} message
 */
export function isBareSticker(message) {
  return message.kind === 'sticker' && message.media?.status === 'stored';
}

/**
 * Estimated height of the media part of a row, in px (0 for a message without a file).
 * @param {MessageOut} message
 * @returns {number}
 */
export function mediaHeight(message) {
  if (!hasMedia(message)) return 0;
  const { status } = message.media;
  const kind = /** @type {keyof typeof HEIGHTS} */ (message.kind);
  if (status === 'stored' || (status === 'pending' && kind !== 'audio' && kind !== 'document')) {
    return HEIGHTS[kind] ?? HEIGHTS.note;
  }
  return HEIGHTS.note;
}

/**
 * @param {MessageOut & { media: MediaOut }} message
 * @returns {HTMLSpanElement}
 */
function kindLabel(message) {
  const voice = message.kind === 'audio' && message.media.voice;
  const glyph = ICONS[voice ? 'voice' : message.kind] || '';
  return h(
    'span',
    { class: 'kind-label' },
    h('span', { class: 'kind-icon', 'aria-hidden': 'true' }, glyph),
    ` ${t(voice ? 'kind.voice' : `kind.${message.kind}`)}`,
  );
}

/**
 * A document's name while its file is not here (downloading, failed, deleted).
 * @param {MediaOut} media
 */
function nameLine(media) {
  return media.filename ? h('span', { class: 'file-name' }, media.filename) : null;
}

/**
 * The picture's text alternative: its caption, else a fixed text.
 * @param {MessageOut} message
 */
function altText(message) {
  const caption = (message.text || message.media?.caption || '').trim();
  if (caption) return caption.slice(0, 300);
  return t(message.kind === 'sticker' ? 'media.sticker.alt' : 'media.image.alt');
}

/**
 * When a file will not load (its link expired, say), ask for the message again once.
 * @param {HTMLElement} box the element that shows a failure when it stays broken
 * @param {HTMLMediaElement | HTMLImageElement} element
 * @param {MessageOut} message
 * @param {MediaContext} context
 */
function whenBroken(box, element, message, context) {
  element.addEventListener('error', () => {
    box.classList.add('media-broken');
    box.append(h('span', { class: 'media-note' }, t('media.unavailable')));
    context.onStale(message).catch(() => {});
  });
}

/**
 * Before a player starts on an expired link: fetch the message again and play the new one.
 * @param {HTMLMediaElement} player
 * @param {MessageOut & { media: MediaOut }} message
 * @param {MediaContext} context
 */
function refreshBeforePlaying(player, message, context) {
  player.addEventListener('play', async () => {
    if (!linkExpired(message.media.url, 5000)) return;
    player.pause();
    const root = player.getRootNode();
    const fresh = await context.onStale(message).catch(() => null);
    if (!fresh?.media?.url || !(root instanceof Document || root instanceof ShadowRoot)) return;
    const row = `[data-message-id="${CSS.escape(message.id)}"]`;
    /** @type {HTMLMediaElement | null} */
    const again = root.querySelector(`${row} audio, ${row} video`);
    again?.play().catch(() => {});
  });
}

/**
 * @param {MessageOut & { media: MediaOut }} message
 * @param {string} src
 * @param {MediaContext} context
 * @returns {HTMLElement}
 */
function picture(message, src, context) {
  const alt = altText(message);
  const img = h('img', { src, alt, loading: 'lazy', decoding: 'async', width: '280', height: '210' });
  /** @type {HTMLButtonElement} */
  const button = h(
    'button',
    {
      type: 'button',
      class: 'media-open',
      'aria-haspopup': 'dialog',
      'aria-label': t('media.enlarge', { alt }),
      on: {
        click: () => {
          enlarge(button, { src, alt, caption: message.text || '', messageId: message.id });
        },
      },
    },
    img,
  );
  const box = h('div', { class: 'media media-image' }, button);
  whenBroken(box, img, message, context);
  return box;
}

/**
 * @param {MessageOut & { media: MediaOut }} message
 * @param {string} src
 * @param {MediaContext} context
 * @returns {HTMLElement}
 */
function sticker(message, src, context) {
  const img = h('img', {
    src,
    alt: altText(message),
    loading: 'lazy',
    decoding: 'async',
    width: '128',
    height: '128',
  });
  const box = h('div', { class: 'media media-sticker' }, img);
  whenBroken(box, img, message, context);
  return box;
}

/**
 * @param {MessageOut & { media: MediaOut }} message
 * @param {string} src
 * @param {MediaContext} context
 * @returns {HTMLElement}
 */
function player(message, src, context) {
  const audio = message.kind === 'audio';
  const label = audio
    ? t(message.media.voice ? 'kind.voice' : 'kind.audio')
    : t('kind.video');
  const element = audio
    ? h('audio', { controls: true, preload: 'none', src, 'aria-label': label })
    : h('video', {
        controls: true,
        preload: 'none',
        playsinline: true,
        src,
        'aria-label': label,
        width: '280',
        height: '158',
      });
  const box = h(
    'div',
    { class: ['media', audio ? 'media-audio' : 'media-video'] },
    audio && kindLabel(message),
    element,
  );
  whenBroken(box, element, message, context);
  refreshBeforePlaying(element, message, context);
  return box;
}

/**
 * "PDF", "DOCX"...: the file name's extension, else the type's subtype.
 * @param {MediaOut} media
 */
function fileType(media) {
  const name = media.filename || '';
  const dot = name.lastIndexOf('.');
  if (dot > 0 && name.length - dot <= 6) return name.slice(dot + 1).toUpperCase();
  const subtype = (media.mime_type || '').split('/')[1] || '';
  return subtype.length <= 6 ? subtype.toUpperCase() : '';
}

/**
 * @param {MessageOut & { media: MediaOut }} message
 * @param {string} src
 * @param {MediaContext} context
 * @returns {HTMLElement}
 */
function documentCard(message, src, context) {
  const media = message.media;
  const name = media.filename || t('kind.document');
  const about = [formatBytes(media.size), fileType(media)].filter(Boolean).join(' · ');
  const link = h(
    'a',
    {
      class: 'button media-download',
      href: src,
      download: media.filename || '',
      rel: 'noopener',
      'aria-label': t('media.download.named', { name }),
      on: {
        click: async (event) => {
          if (!linkExpired(media.url, 5000) || link.dataset.fresh) return;
          // the link expired while the page was open: get a fresh one, then download
          event.preventDefault();
          const fresh = await context.onStale(message).catch(() => null);
          const href = fresh ? context.service.mediaHref(fresh.media) : null;
          if (!href) return;
          const again = h('a', { href, download: media.filename || '', hidden: true });
          again.dataset.fresh = 'true';
          link.after(again);
          again.click();
          again.remove();
        },
      },
    },
    t('media.download'),
  );
  return h(
    'div',
    { class: 'media media-document' },
    h('span', { class: 'media-doc-icon' }, icon('document', 28)),
    h(
      'span',
      { class: 'media-doc-info' },
      h('span', { class: 'file-name' }, name),
      about && h('span', { class: 'media-doc-size' }, about),
    ),
    link,
  );
}

/**
 * The failed state: Meta's or our reason, and a retry while Meta still keeps the file.
 * @param {MessageOut & { media: MediaOut }} message
 * @param {MediaContext} context
 * @returns {HTMLElement}
 */
function failed(message, context) {
  const media = message.media;
  const note = h(
    'span',
    { class: 'media-note media-error' },
    media.error ? t('media.failed.reason', { error: media.error }) : t('media.failed'),
  );
  const retryUrl = media.retry_url;
  /** @type {HTMLButtonElement | null} */
  const retry = retryUrl
    ? h(
        'button',
        {
          type: 'button',
          class: 'button media-retry',
          on: {
            click: async () => {
              if (!retry) return;
              retry.disabled = true;
              retry.textContent = t('media.retrying');
              try {
                context.onChanged(await context.service.retryMedia(message.id, retryUrl));
              } catch (error) {
                note.textContent = messageOf(error) || t('error.network');
                retry.disabled = false;
                retry.textContent = t('media.retry');
              }
            },
          },
        },
        t('media.retry'),
      )
    : null;
  return h(
    'div',
    { class: 'media media-state media-failed', dataset: { mediaStatus: 'failed' } },
    kindLabel(message),
    nameLine(media),
    note,
    retry,
  );
}

/**
 * The media part of a bubble (the caption is the bubble's text, shown by the caller).
 * @param {MessageOut & { media: MediaOut }} message
 * @param {MediaContext} context
 * @returns {HTMLElement}
 */
export function mediaBody(message, context) {
  const media = message.media;
  const src = context.service.mediaHref(media);
  if (media.status === 'stored' && src) {
    let shown;
    if (message.kind === 'image') shown = picture(message, src, context);
    else if (message.kind === 'sticker') shown = sticker(message, src, context);
    else if (message.kind === 'audio' || message.kind === 'video') {
      shown = player(message, src, context);
    } else shown = documentCard(message, src, context);
    shown.dataset.mediaStatus = 'stored';
    return shown;
  }
  if (media.status === 'failed') return failed(message, context);
  const pending = media.status === 'pending';
  const visual = ['image', 'video', 'sticker'].includes(message.kind);
  /** @type {Record<string, string>} */
  const notes = { pending: 'media.pending', pruned: 'media.pruned' };
  return h(
    'div',
    {
      class: [
        'media',
        'media-state',
        `media-${media.status}`,
        pending && visual && `media-box-${message.kind}`,
      ],
      dataset: { mediaStatus: media.status },
    },
    kindLabel(message),
    nameLine(media),
    h('span', { class: 'media-note' }, t(notes[media.status] || 'media.unavailable')),
  );
}

/**
 * A bubble rendered again (its delivery status moved, a listing brought it back) keeps the
 * player the agent has started: the new bubble gets the old `<audio>` or `<video>`, so a
 * voice note goes on playing through "entregado" and "leído" instead of stopping. A
 * player never started, or whose link was renewed, is left to the new bubble.
 * @param {HTMLElement} old
 * @param {HTMLElement} fresh
 */
export function keepPlayer(old, fresh) {
  const player = old.querySelector('audio, video');
  const replacement = fresh.querySelector('audio, video');
  if (!(player instanceof HTMLMediaElement) || !(replacement instanceof HTMLMediaElement)) return;
  if (player.paused && player.currentTime === 0) return;
  if (player.getAttribute('src') !== replacement.getAttribute('src')) return;
  replacement.replaceWith(player);
}
