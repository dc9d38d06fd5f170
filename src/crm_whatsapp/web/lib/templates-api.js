// @ts-check
// The template endpoints of the CRM API: the synced catalogue (`/api/v1/plantillas`), its
// sync on demand, a template sent in a conversation (JSON, or multipart when the header's
// file is uploaded with it), and a conversation started from the CRM with a template.
// Kept beside ConversationsService rather than in it: the requests go through the same
// `request` (token, errors, a widget's token renewal), and the page modules that need
// templates import them from here.

import { fill } from './conversaciones-whatsapp.js';

/**
 * @typedef {import('./conversaciones-whatsapp.js').ConversationsService} ConversationsService
 * @typedef {import('./conversaciones-whatsapp.js').ConversationOut} ConversationOut
 * @typedef {import('./conversaciones-whatsapp.js').MessageOut} MessageOut
 */
/**
 * The catalogue and a template message as the OpenAPI document types them.
 * @typedef {import('./api-types').paths} Paths
 * @typedef {import('./api-types').components['schemas']} Schemas
 * @typedef {Schemas['PlaceholderOut']} TemplateParameter one value: `"1"` for `{{1}}`, or `"nombre"`
 * @typedef {Schemas['CatalogueHeaderOut']} TemplateHeader
 * @typedef {TemplateHeader['format']} HeaderFormat
 * @typedef {Schemas['CatalogueButtonOut']} TemplateButton
 * @typedef {TemplateButton['type']} ButtonType
 * @typedef {Schemas['CatalogueTemplateOut']} CatalogueTemplate a template of the synced catalogue
 * @typedef {Schemas['TemplateCatalogueOut']} TemplateList `synced_at` null until a sync
 *   completed; `configured` false without a WhatsApp Business Account id to sync from
 * @typedef {Schemas['TemplateSyncOut']} SyncReport what one sync did
 * @typedef {Schemas['TemplateIn']} TemplateSend positional values as a list, named ones as
 *   an object; a header's text, or a stored file's message id
 * @typedef {Schemas['StartedConversationOut']} StartedConversation the conversation (new, or
 *   the one the customer already had) and the template message stored in it
 */
/**
 * The catalogue's filters; empty ones are left out.
 * @typedef {{ q?: string | null, status?: string | null, language?: string | null, category?: string | null }} TemplateFilters
 */
/**
 * Who receives a new conversation: a number in any format, or a CRM client's id.
 * @typedef {{ to: string } | { client_id: string }} Recipient
 */

const TEMPLATES = /** @satisfies {keyof Paths} */ ('/api/v1/plantillas');
const CONVERSATIONS = /** @satisfies {keyof Paths} */ ('/api/v1/conversaciones-whatsapp');

/**
 * `GET /api/v1/plantillas`: the synced catalogue, filtered.
 * @param {ConversationsService} service
 * @param {TemplateFilters} [filters]
 * @returns {Promise<TemplateList>}
 */
export async function listTemplates(service, filters = {}) {
  const { q = null, status = null, language = null, category = null } = filters;
  return /** @type {TemplateList} */ (
    await service.request('GET', TEMPLATES, { params: { q, status, language, category } })
  );
}

/**
 * `POST /api/v1/plantillas/sincronizar`: read Meta's catalogue again now (scope manage).
 * @param {ConversationsService} service
 * @returns {Promise<SyncReport>}
 */
export async function syncTemplates(service) {
  const path = /** @satisfies {keyof Paths} */ ('/api/v1/plantillas/sincronizar');
  return /** @type {SyncReport} */ (await service.request('POST', path));
}

/**
 * `POST /api/v1/conversaciones-whatsapp/{id}/mensajes` with a template. A media header's
 * file given as `file` goes with it as multipart/form-data (`template` as JSON text).
 * `agent` names who the CRM acts for with a service token (null with an agent token).
 * @param {ConversationsService} service
 * @param {string} conversationId
 * @param {{ template: TemplateSend, file?: File | null, agent?: string | null }} message
 * @returns {Promise<MessageOut>}
 */
export async function sendTemplate(service, conversationId, { template, file = null, agent = null }) {
  const path = fill('/api/v1/conversaciones-whatsapp/{conversation_id}/mensajes', {
    conversation_id: conversationId,
  });
  if (file) {
    const form = new FormData();
    if (agent) form.append('agent', agent);
    form.append('take_over', 'true');
    form.append('template', JSON.stringify(template));
    form.append('file', file, file.name || 'archivo');
    return /** @type {MessageOut} */ (await service.request('POST', path, { body: form }));
  }
  /** @type {Schemas['AgentReplyIn']} */
  const body = { template, take_over: true };
  if (agent) body.agent = agent;
  return /** @type {MessageOut} */ (await service.request('POST', path, { body }));
}

/**
 * `POST /api/v1/conversaciones-whatsapp`: write first to a number or a CRM client, with a
 * template (the only message WhatsApp lets a business start with).
 * @param {ConversationsService} service
 * @param {Recipient} recipient
 * @param {{ template: TemplateSend, agent?: string | null }} message
 * @returns {Promise<StartedConversation>}
 */
export async function startConversation(service, recipient, { template, agent = null }) {
  /** @type {Schemas['StartConversationIn']} */
  const body = { ...recipient, template };
  if (agent) body.agent = agent;
  return /** @type {StartedConversation} */ (
    await service.request('POST', CONVERSATIONS, { body })
  );
}
