// @ts-check
// The template endpoints of the CRM API: the synced catalogue (`/api/v1/plantillas`), its
// sync on demand, a template sent in a conversation (JSON, or multipart when the header's
// file is uploaded with it), and a conversation started from the CRM with a template.
// Kept beside ConversationsService rather than in it: the requests go through the same
// `request` (token, errors, a widget's token renewal), and the page modules that need
// templates import them from here.

/**
 * @typedef {import('./conversaciones-whatsapp.js').ConversationsService} ConversationsService
 * @typedef {import('./conversaciones-whatsapp.js').ConversationOut} ConversationOut
 * @typedef {import('./conversaciones-whatsapp.js').MessageOut} MessageOut
 */
/**
 * One value a template needs: `name` is `"1"` for `{{1}}`, or `"nombre"` for `{{nombre}}`.
 * @typedef {{ name: string, example: string | null }} TemplateParameter
 */
/**
 * @typedef {'text' | 'image' | 'document' | 'video' | 'location'} HeaderFormat
 * @typedef {{ format: HeaderFormat, text: string | null, parameter: TemplateParameter | null }} TemplateHeader
 * @typedef {'quick_reply' | 'url' | 'copy_code' | 'phone_number' | 'other'} ButtonType
 * @typedef {{
 *   index: number,
 *   type: ButtonType,
 *   text: string,
 *   url: string | null,
 *   parameter: TemplateParameter | null,
 * }} TemplateButton
 */
/**
 * A template of the synced catalogue, as `GET /api/v1/plantillas` lists it.
 * @typedef {{
 *   name: string,
 *   language: string,
 *   status: string,
 *   category: string,
 *   parameter_format: 'positional' | 'named',
 *   header: TemplateHeader | null,
 *   body: string,
 *   footer: string | null,
 *   buttons: TemplateButton[],
 *   parameters: TemplateParameter[],
 *   sendable: boolean,
 *   not_sendable_reason: string | null,
 *   updated_at: string | null,
 * }} CatalogueTemplate
 */
/**
 * The catalogue: `synced_at` null until a sync completed; `configured` false when the
 * service has no WhatsApp Business Account id to sync from.
 * @typedef {{ items: CatalogueTemplate[], synced_at: string | null, configured?: boolean }} TemplateList
 */
/**
 * What `POST /api/v1/plantillas/sincronizar` did.
 * @typedef {{
 *   templates: number,
 *   pages: number,
 *   created: number,
 *   updated: number,
 *   removed: number,
 *   synced_at: string,
 * }} SyncReport
 */
/**
 * A template message as the API takes it: positional body values as a list, named ones as
 * an object; a text header's value, or a stored file's message id for a media header.
 * @typedef {{ type: 'text', text: string } | { type: 'image' | 'document' | 'video', media_id: string }} HeaderValue
 * @typedef {{
 *   name: string,
 *   language: string,
 *   parameters?: string[] | Record<string, string>,
 *   header?: HeaderValue,
 *   buttons?: Array<{ index: number, parameter: string }>,
 * }} TemplateSend
 */
/**
 * `POST /api/v1/conversaciones-whatsapp`'s answer: the conversation (new, or the one the
 * customer already had) and the template message stored in it.
 * @typedef {{ conversation: ConversationOut, message: MessageOut, created: boolean }} StartedConversation
 */
/**
 * The catalogue's filters; empty ones are left out.
 * @typedef {{ q?: string | null, status?: string | null, language?: string | null, category?: string | null }} TemplateFilters
 */
/**
 * Who receives a new conversation: a number in any format, or a CRM client's id.
 * @typedef {{ to: string } | { client_id: string }} Recipient
 */

const TEMPLATES = '/api/v1/plantillas';
const CONVERSATIONS = '/api/v1/conversaciones-whatsapp';

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
  return /** @type {SyncReport} */ (await service.request('POST', '/api/v1/plantillas/sincronizar'));
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
  const path = `${CONVERSATIONS}/${encodeURIComponent(conversationId)}/mensajes`;
  if (file) {
    const form = new FormData();
    if (agent) form.append('agent', agent);
    form.append('take_over', 'true');
    form.append('template', JSON.stringify(template));
    form.append('file', file, file.name || 'archivo');
    return /** @type {MessageOut} */ (await service.request('POST', path, { body: form }));
  }
  /** @type {Record<string, unknown>} */
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
  /** @type {Record<string, unknown>} */
  const body = { ...recipient, template };
  if (agent) body.agent = agent;
  return /** @type {StartedConversation} */ (
    await service.request('POST', CONVERSATIONS, { body })
  );
}
