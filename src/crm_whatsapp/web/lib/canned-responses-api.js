// @ts-check
// The canned responses of the CRM API ("respuestas rápidas"): the team's list, found as an
// agent types `/atajo`, and one response filled for the open conversation. Kept beside
// ConversationsService, like the template endpoints: the requests go through its `request`
// (token, errors, a widget's token renewal).

/**
 * @typedef {import('./conversaciones-whatsapp.js').ConversationsService} ConversationsService
 * @typedef {import('./conversaciones-whatsapp.js').ActorOut} ActorOut
 */
import { fill } from './conversaciones-whatsapp.js';
/**
 * A stored canned response, as `GET /api/v1/respuestas-rapidas` lists it: its text with the
 * placeholders unfilled.
 * @typedef {{
 *   id: string,
 *   shortcut: string,
 *   title: string,
 *   text: string,
 *   placeholders: string[],
 *   created_at: string,
 *   updated_at: string,
 *   created_by: ActorOut,
 * }} CannedResponse
 */
/** @typedef {{ items: CannedResponse[] }} CannedResponseList */
/**
 * A canned response filled for one conversation: `missing` names the placeholders with no
 * value there (left empty in `text`, for the agent to complete).
 * @typedef {{ shortcut: string, text: string, missing: string[] }} ExpandedCannedResponse
 */
/**
 * What saving or changing one sends (`PUT` changes only the fields given).
 * @typedef {{ shortcut: string, title?: string, text: string }} CannedResponseDraft
 */

const CANNED = '/api/v1/respuestas-rapidas';

/**
 * `GET /api/v1/respuestas-rapidas`: shortcuts starting with `q` first (a leading / is
 * ignored), then those with all its words; every response for an empty `q`.
 * @param {ConversationsService} service
 * @param {string} [q]
 * @param {number} [limit]
 * @returns {Promise<CannedResponseList>}
 */
export async function findCannedResponses(service, q = '', limit = 8) {
  return /** @type {CannedResponseList} */ (
    await service.request('GET', CANNED, { params: { q: q || null, limit } })
  );
}

/**
 * `GET /api/v1/conversaciones-whatsapp/{conversation_id}/respuestas-rapidas/{shortcut}`.
 * @param {ConversationsService} service
 * @param {string} conversationId
 * @param {string} shortcut
 * @returns {Promise<ExpandedCannedResponse>}
 */
export async function expandCannedResponse(service, conversationId, shortcut) {
  const path = fill('/api/v1/conversaciones-whatsapp/{conversation_id}/respuestas-rapidas/{shortcut}', {
    conversation_id: conversationId,
    shortcut,
  });
  return /** @type {ExpandedCannedResponse} */ (await service.request('GET', path));
}

/**
 * `POST /api/v1/respuestas-rapidas` (scope manage).
 * @param {ConversationsService} service
 * @param {CannedResponseDraft} draft
 * @returns {Promise<CannedResponse>}
 */
export async function saveCannedResponse(service, draft) {
  return /** @type {CannedResponse} */ (await service.request('POST', CANNED, { body: draft }));
}

/**
 * `PUT /api/v1/respuestas-rapidas/{id}` (scope manage): only the fields given change.
 * @param {ConversationsService} service
 * @param {string} id
 * @param {Partial<CannedResponseDraft>} changes
 * @returns {Promise<CannedResponse>}
 */
export async function changeCannedResponse(service, id, changes) {
  const path = fill('/api/v1/respuestas-rapidas/{id}', { id });
  return /** @type {CannedResponse} */ (await service.request('PUT', path, { body: changes }));
}

/**
 * `DELETE /api/v1/respuestas-rapidas/{id}` (scope manage).
 * @param {ConversationsService} service
 * @param {string} id
 * @returns {Promise<void>}
 */
export async function deleteCannedResponse(service, id) {
  await service.request('DELETE', fill('/api/v1/respuestas-rapidas/{id}', { id }));
}
