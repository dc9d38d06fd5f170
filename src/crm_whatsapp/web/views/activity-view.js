// @ts-check
// The activity log in the chat: a small centred line per thing the team did ("Laura tomó
// la conversación", "Laura marcó como resuelta"), and a private note as a note of its own,
// never shaped like a WhatsApp bubble. Every name and note is put in text nodes.
import { h, srOnly } from '../lib/dom.js';
import { formatTime, t } from '../lib/i18n.js';

/**
 * @typedef {import('../lib/conversaciones-whatsapp.js').ActivityOut} ActivityOut
 * @typedef {import('../lib/conversaciones-whatsapp.js').ActorOut} ActorOut
 */

/** Kinds the chat does not draw: the message they sent is already a bubble. */
const SHOWN_AS_MESSAGES = new Set(['reply', 'template_sent']);

/**
 * Whether an entry has a row of its own in the chat.
 * @param {ActivityOut} entry
 */
export function shownInChat(entry) {
  return !SHOWN_AS_MESSAGES.has(entry.kind);
}

/**
 * @param {unknown} value
 * @returns {string}
 */
function text(value) {
  if (typeof value === 'string') return value;
  return value === null || value === undefined ? '' : String(value);
}

/**
 * Who did it, as the chat names them: the agent; the person a service token acted for;
 * else the service or the system.
 * @param {ActorOut} actor
 * @returns {string}
 */
export function actorName(actor) {
  if (actor.kind === 'agent') return text(actor.name) || t('chat.agent');
  if (actor.kind === 'service') return text(actor.on_behalf_of) || t('activity.actor.service');
  return t('activity.actor.system');
}

/**
 * The sentence of an entry: "Laura asignó a Pedro".
 * @param {ActivityOut} entry
 * @returns {string}
 */
export function activityText(entry) {
  const actor = actorName(entry.actor);
  const details = entry.details || {};
  switch (entry.kind) {
    case 'take_over':
      return t('activity.take_over', { actor });
    case 'give_back':
      return t('activity.give_back', { actor });
    case 'assign': {
      const to = text(details.to);
      if (!to) return t('activity.assign.nobody', { actor });
      const toId = text(details.to_id);
      const self =
        entry.actor.kind === 'agent' ? toId === text(entry.actor.id) : !toId && to === actor;
      return self ? t('activity.assign.self', { actor }) : t('activity.assign', { actor, to });
    }
    case 'status': {
      const status = text(details.to);
      const key = ['open', 'pending', 'resolved'].includes(status) ? status : 'other';
      return t(`activity.status.${key}`, { actor, status });
    }
    case 'link':
      return t('activity.link', {
        actor,
        client: text(details.client_name) || text(details.client_id),
      });
    case 'unlink':
      return t('activity.unlink', { actor });
    case 'mark_read':
      return t('activity.mark_read', { actor });
    case 'note':
      return t('activity.note', { actor });
    default:
      return t('activity.other', { actor, kind: text(entry.kind) });
  }
}

/**
 * A private note: marked "Nota privada", with its author and time.
 * @param {ActivityOut} entry
 * @returns {HTMLDivElement}
 */
function noteRow(entry) {
  const author = actorName(entry.actor);
  return h(
    'div',
    { class: 'row row-note' },
    h(
      'article',
      {
        class: 'note',
        dataset: { activityId: entry.id, kind: entry.kind, actorKind: entry.actor.kind },
        title: entry.actor.description,
      },
      h(
        'span',
        { class: 'note-head' },
        h(
          'span',
          { class: 'note-label' },
          h('span', { 'aria-hidden': 'true' }, '🔒 '),
          t('note.label'),
        ),
        ' · ',
        h('span', { class: 'note-author' }, author),
      ),
      h('p', { class: 'note-text' }, text(entry.details?.text)),
      h(
        'span',
        { class: 'note-meta' },
        srOnly(`${t('note.hidden')} `),
        h('time', { datetime: entry.at }, formatTime(entry.at)),
      ),
    ),
  );
}

/**
 * The row element of an entry: a system line, or a private note.
 * @param {ActivityOut} entry
 * @returns {HTMLDivElement}
 */
export function activityRow(entry) {
  if (entry.kind === 'note') return noteRow(entry);
  return h(
    'div',
    { class: 'row row-activity' },
    h(
      'p',
      {
        class: 'activity-line',
        dataset: { activityId: entry.id, kind: entry.kind, actorKind: entry.actor.kind },
        title: entry.actor.description,
      },
      h('span', { class: 'activity-text' }, activityText(entry)),
      ' · ',
      h('time', { datetime: entry.at }, formatTime(entry.at)),
    ),
  );
}

/**
 * A row's height before it is measured.
 * @param {ActivityOut} entry
 */
export function activityHeight(entry) {
  if (entry.kind !== 'note') return 30;
  return 64 + 20 * Math.floor(text(entry.details?.text).length / 60);
}

/**
 * A line for the screen-reader announcement of someone else's entry.
 * @param {ActivityOut} entry
 * @returns {string}
 */
export function activityAnnouncement(entry) {
  if (entry.kind === 'note') {
    return `${activityText(entry)}: ${text(entry.details?.text).slice(0, 200)}`;
  }
  return activityText(entry);
}
