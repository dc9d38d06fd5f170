// @ts-check
// Reply buttons and lists in the CRM API: an agent's interactive message
// (`POST /api/v1/conversaciones-whatsapp/{id}/mensajes` with `interactive`), and the
// buttons or list a stored message carries (`MessageOut.interactive`). The service checks
// WhatsApp's limits and answers 422 naming the part; the limits here only help the form say
// so before sending.

/**
 * @typedef {import('./conversaciones-whatsapp.js').ConversationsService} ConversationsService
 * @typedef {import('./conversaciones-whatsapp.js').MessageOut} MessageOut
 * @typedef {{ id: string, title: string }} ReplyButton
 * @typedef {{ id: string, title: string, description?: string | null }} ListRow
 * @typedef {{ title?: string | null, rows: ListRow[] }} ListSection
 * @typedef {{
 *   kind: 'buttons' | 'list',
 *   body: string,
 *   header?: string | null,
 *   footer?: string | null,
 *   buttons?: ReplyButton[],
 *   button_label?: string | null,
 *   sections?: ListSection[],
 * }} Interactive
 */

export const MAX_BUTTONS = 3;
export const MAX_BUTTON_TITLE = 20;
export const MAX_BODY = 1024;

const CONVERSATIONS = '/api/v1/conversaciones-whatsapp';

/**
 * Send reply buttons or a list in a conversation. `agent` names who the CRM acts for with
 * a service token (null with an agent token, which says who writes).
 * @param {ConversationsService} service
 * @param {string} conversationId
 * @param {{ interactive: Interactive, agent?: string | null }} message
 * @returns {Promise<MessageOut>}
 */
export async function sendInteractive(service, conversationId, { interactive, agent = null }) {
  const path = `${CONVERSATIONS}/${encodeURIComponent(conversationId)}/mensajes`;
  /** @type {Record<string, unknown>} */
  const body = { interactive, take_over: true };
  if (agent) body.agent = agent;
  return /** @type {MessageOut} */ (await service.request('POST', path, { body }));
}

/**
 * The buttons or list a message carries, or null (a message of another kind, or a service
 * that does not say).
 * @param {MessageOut} message
 * @returns {Interactive | null}
 */
export function interactiveOf(message) {
  /** @type {unknown} */
  const value = /** @type {{ interactive?: unknown }} */ (message).interactive;
  if (!value || typeof value !== 'object') return null;
  const content = /** @type {Interactive} */ (value);
  if (content.kind !== 'buttons' && content.kind !== 'list') return null;
  return typeof content.body === 'string' ? content : null;
}

/**
 * The customer's choice a message answers with, or null: a reply button or list row
 * (`interactive` with a `reply_id`), or a template's quick-reply button (`button`).
 * @param {MessageOut} message
 * @returns {'button' | 'list' | null}
 */
export function choiceOf(message) {
  const details = message.details || {};
  if (message.kind === 'button') return 'button';
  if (message.kind !== 'interactive' || typeof details.reply_id !== 'string') return null;
  return details.interactive_type === 'list_reply' ? 'list' : 'button';
}

/**
 * Ids for buttons a person wrote without any: the position and a slug of the title, so a
 * reply reads in the log as what was tapped ("2-cambiar-hora").
 * @param {number} index
 * @param {string} title
 * @returns {string}
 */
export function buttonId(index, title) {
  const slug = title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40);
  return slug ? `${index + 1}-${slug}` : `${index + 1}`;
}
