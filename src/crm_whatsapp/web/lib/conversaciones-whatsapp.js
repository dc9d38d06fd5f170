// @ts-check
// The typed client of the CRM API: every endpoint of the service's OpenAPI document but
// Meta's webhook. The inbox, the dashboard and the widget use it, and so can a host CRM:
//   import { ConversationsService } from 'https://whatsapp.example.com/inbox/lib/conversaciones-whatsapp.js';
// Its types come from ./api-types.d.ts, which openapi-typescript makes from the document
// (`npm run api-types`). The token lives in sessionStorage only: closing the tab signs out.

/**
 * @typedef {import('./api-types').paths} Paths
 * @typedef {import('./api-types').components['schemas']} Schemas
 * @typedef {Schemas['ConversationOut']} ConversationOut
 * @typedef {Schemas['ConversationPage']} ConversationPage
 * @typedef {Schemas['MessageOut']} MessageOut
 * @typedef {Schemas['MessagePage']} MessagePage
 * @typedef {Schemas['DeliveryOut']} DeliveryOut
 * @typedef {Schemas['StatisticsOut']} StatisticsOut
 * @typedef {Schemas['ClientOut']} ClientOut
 * @typedef {Schemas['ClientList']} ClientList
 * @typedef {Schemas['AgentReplyIn']} AgentReplyIn
 * @typedef {Schemas['MediaOut']} MediaOut
 * @typedef {Schemas['TemplateIn']} TemplateIn
 * @typedef {Schemas['Status']} Status
 * @typedef {Schemas['Readiness']} Readiness
 * @typedef {Schemas['ErrorBody']} ErrorBody
 * @typedef {Schemas['ChannelHealthOut']} ChannelHealthOut
 * @typedef {Schemas['ChannelEventOut']} ChannelEventOut
 * @typedef {Schemas['QuarantinePage']} QuarantinePage
 * @typedef {Schemas['QuarantinedOut']} QuarantinedOut
 * @typedef {Schemas['MeOut']} MeOut
 * @typedef {Schemas['ActorOut']} ActorOut
 * @typedef {Schemas['ActivityOut']} ActivityOut
 * @typedef {Schemas['ActivityPage']} ActivityPage
 * @typedef {Schemas['AssignIn']['agent']} AssigneeChoice `'me'`, `{ id?, name }`, or null (nobody)
 * @typedef {Schemas['StatusIn']['status']} ConversationStatus
 * @typedef {MeOut['scopes'][number]} Scope
 */

/**
 * The list's query parameters as the document types them.
 * @typedef {NonNullable<Paths['/api/v1/conversaciones-whatsapp']['get']['parameters']['query']>} ListQuery
 */
/**
 * Filters of `listConversations`: each with its API type, or as text the way a URL holds
 * it (`'true'`), or empty (null, undefined and '' leave the filter out).
 * @typedef {{ [K in Exclude<keyof ListQuery, 'limit' | 'cursor'>]?: ListQuery[K] | string | null }} ConversationFilters
 */
/**
 * The statistics' range: days (YYYY-MM-DD) and an IANA timezone.
 * @typedef {{ [K in keyof NonNullable<Paths['/api/v1/conversaciones-whatsapp/estadisticas']['get']['parameters']['query']>]?: string | null }} StatisticsRange
 */
/**
 * A reply: text inside the 24-hour window, a template outside it. `agent` names who the
 * CRM acts for with a service token; leave it out with an agent token (the token says who).
 * @typedef {Omit<AgentReplyIn, 'agent'> & { agent?: string | null }} Reply
 */
/**
 * The multipart form of an agent's file, as the document types it.
 * @typedef {NonNullable<Paths['/api/v1/conversaciones-whatsapp/{conversation_id}/mensajes']['post']['requestBody']>['content']['multipart/form-data']} AgentFileForm
 */
/**
 * An agent's file: `file` (a File, or a Blob with `filename`) and the form's other fields.
 * `voice` marks a voice note recorded in the browser (the server remuxes WebM/Opus to OGG).
 * @typedef {Omit<AgentFileForm, 'agent' | 'file'> & { agent?: string | null, file: Blob, filename?: string }} FileReply
 */

/**
 * A live event: the server-sent event's name as `type` (`message_stored`,
 * `conversation_changed`, `delivery_status_changed`, `media_status_changed`,
 * `activity_recorded`, `resync`), plus its JSON data.
 * @typedef {{
 *   type: string,
 *   conversation_id?: string,
 *   message_id?: string,
 *   status?: string,
 *   activity_id?: string,
 *   kind?: string,
 * }} LiveEvent
 */
/** @typedef {'live' | 'reconnecting'} StreamStatus */
/**
 * @typedef {object} EventsOptions
 * @property {string | null} [conversationId] only this conversation's events
 * @property {(event: LiveEvent) => void} [onEvent] once per event
 * @property {(status: StreamStatus) => void} [onStatus] when the stream connects or drops
 * @property {AbortSignal} [signal] stops following
 */
/**
 * @typedef {object} ServiceOptions
 * @property {string} [apiBase] the service's root address (default: where this module is served from)
 * @property {string | null} [token] an API token (default: the one this tab signed in with)
 * @property {() => void} [onUnauthorized] called on any 401 (the token was revoked, say)
 */
/**
 * Which quarantined items `quarantine` lists: still open (the default), replayed, or all.
 * @typedef {'abiertas' | 'reprocesadas' | 'todas'} QuarantineState
 */
/** @typedef {string | number | boolean | null | undefined} QueryValue */
/** @typedef {'GET' | 'POST' | 'PUT' | 'DELETE'} Method */

const TOKEN_KEY = 'crm_whatsapp.token';
const DEFAULT_RETRY_MS = 3000;

export class ApiError extends Error {
  /**
   * @param {number} status the HTTP status; 0 when the service could not be reached
   * @param {string} code the API's error code (`not_found`, `outside_service_window`...)
   * @param {string} [message] the API's explanation
   * @param {number | null} [retryAfter] seconds to wait (a 429's Retry-After), if given
   */
  constructor(status, code, message, retryAfter = null) {
    super(message || code || `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

/**
 * What to show of a failure: an ApiError's (or any Error's) message, '' for anything else.
 * @param {unknown} error
 * @returns {string}
 */
export function messageOf(error) {
  return error instanceof Error ? error.message : '';
}

/** @returns {Storage | null} */
function storage() {
  try {
    return window.sessionStorage;
  } catch {
    return null; // storage blocked (privacy settings): the session just is not remembered
  }
}

/** @returns {string | null} the token this tab signed in with */
export function loadToken() {
  return storage()?.getItem(TOKEN_KEY) || null;
}

/** @param {string} token */
export function saveToken(token) {
  storage()?.setItem(TOKEN_KEY, token);
}

export function clearToken() {
  storage()?.removeItem(TOKEN_KEY);
}

/**
 * The service root: the pages live at `<root>/inbox/`, this module at `<root>/inbox/lib/`.
 * @returns {string}
 */
export function defaultApiBase() {
  return new URL('../../', import.meta.url).href;
}

/** @param {string} base */
function withSlash(base) {
  return base.endsWith('/') ? base : `${base}/`;
}

/** @param {Record<string, QueryValue>} params */
function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === null || value === undefined || value === '') continue;
    search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

/**
 * A path of the document with its `{name}` parameters filled in (encoded).
 * @param {keyof Paths} template
 * @param {Record<string, string>} values
 * @returns {string}
 */
export function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, (_, name) => encodeURIComponent(values[name] ?? ''));
}

/** @type {ReadonlyArray<keyof ConversationFilters>} */
const FILTERS = [
  'client_id',
  'number',
  'since',
  'until',
  'linked',
  'bot_paused',
  'opted_out',
  'q',
  'status',
  'assignee',
];

export class ConversationsService {
  /** @param {ServiceOptions} [options] */
  constructor({ apiBase = defaultApiBase(), token = loadToken(), onUnauthorized = () => {} } = {}) {
    this.apiBase = withSlash(new URL(apiBase, document.baseURI).href);
    this.token = token;
    this.onUnauthorized = onUnauthorized;
  }

  /**
   * The absolute address of a path of the document (relative to the service's root, so a
   * service mounted at `/whatsapp/` works too).
   * @param {string} path
   * @param {Record<string, QueryValue>} [params]
   * @returns {string}
   */
  url(path, params = {}) {
    return new URL(path.replace(/^\//, '') + query(params), this.apiBase).href;
  }

  /**
   * @param {Record<string, string>} [extra]
   * @returns {Record<string, string>}
   */
  headers(extra = {}) {
    /** @type {Record<string, string>} */
    const headers = { Accept: 'application/json', ...extra };
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    return headers;
  }

  /**
   * One request; resolves with the parsed JSON (null for 204), rejects with an ApiError.
   * A FormData body goes as multipart/form-data (the browser writes its boundary), any
   * other body as JSON.
   * @param {Method} method
   * @param {string} path
   * @param {{ params?: Record<string, QueryValue>, body?: unknown }} [options]
   * @returns {Promise<unknown>}
   */
  async request(method, path, { params = {}, body = undefined } = {}) {
    const headers = this.headers();
    /** @type {RequestInit} */
    const init = { method, headers, cache: 'no-store' };
    if (body instanceof FormData) {
      init.body = body;
    } else if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(this.url(path, params), init);
    } catch (error) {
      throw new ApiError(0, 'network', (error instanceof Error && error.message) || 'network');
    }
    if (!response.ok) throw await this.failure(response);
    if (response.status === 204) return null;
    return response.json();
  }

  /**
   * The ApiError for a failed response (and onUnauthorized on a 401).
   * @param {Response} response
   * @returns {Promise<ApiError>}
   */
  async failure(response) {
    let code = `http_${response.status}`;
    let message = '';
    try {
      /** @type {Partial<ErrorBody> | null} */
      const body = await response.json();
      code = body?.error?.code || code;
      message = body?.error?.message || '';
    } catch {
      // not JSON (a proxy's error page): the status says enough
    }
    if (response.status === 401) {
      try {
        this.onUnauthorized();
      } catch {
        // the caller's handler must not hide the error itself
      }
    }
    const wait = Number(response.headers.get('Retry-After'));
    const retryAfter = Number.isFinite(wait) && wait > 0 ? wait : null;
    return new ApiError(response.status, code, message, retryAfter);
  }

  // -- conversations -------------------------------------------------------------------------

  /**
   * `GET /api/v1/conversaciones-whatsapp`: a page of conversations, newest activity first.
   * @param {ConversationFilters} [filters]
   * @param {string | null} [cursor] a page's `next_cursor`
   * @param {number} [limit]
   * @returns {Promise<ConversationPage>}
   */
  async listConversations(filters = {}, cursor = null, limit = 50) {
    /** @type {Record<string, QueryValue>} */
    const params = {};
    for (const key of FILTERS) params[key] = filters[key];
    const path = /** @satisfies {keyof Paths} */ ('/api/v1/conversaciones-whatsapp');
    return /** @type {ConversationPage} */ (
      await this.request('GET', path, { params: { ...params, limit, cursor } })
    );
  }

  /**
   * `GET /api/v1/conversaciones-whatsapp/cliente/{cliente_id}`: a CRM client's conversations.
   * @param {string} clientId
   * @param {string | null} [cursor]
   * @param {number} [limit]
   * @returns {Promise<ConversationPage>}
   */
  async conversationsOfClient(clientId, cursor = null, limit = 50) {
    const path = fill('/api/v1/conversaciones-whatsapp/cliente/{cliente_id}', {
      cliente_id: clientId,
    });
    return /** @type {ConversationPage} */ (
      await this.request('GET', path, { params: { limit, cursor } })
    );
  }

  /**
   * `GET /api/v1/conversaciones-whatsapp/numero/{numero}`: the conversations with a phone
   * number, written in any format (`+52 55 1234 5678`, `5215512345678`...).
   * @param {string} number
   * @param {string | null} [cursor]
   * @param {number} [limit]
   * @returns {Promise<ConversationPage>}
   */
  async conversationsWithNumber(number, cursor = null, limit = 50) {
    const path = fill('/api/v1/conversaciones-whatsapp/numero/{numero}', { numero: number });
    return /** @type {ConversationPage} */ (
      await this.request('GET', path, { params: { limit, cursor } })
    );
  }

  /**
   * `GET /api/v1/conversaciones-whatsapp/{conversation_id}`
   * @param {string} id
   * @returns {Promise<ConversationOut>}
   */
  async conversation(id) {
    const path = fill('/api/v1/conversaciones-whatsapp/{conversation_id}', {
      conversation_id: id,
    });
    return /** @type {ConversationOut} */ (await this.request('GET', path));
  }

  /**
   * `GET /api/v1/conversaciones-whatsapp/{conversation_id}/mensajes`: newest first, by pages.
   * @param {string} id
   * @param {string | null} [cursor]
   * @param {number} [limit]
   * @returns {Promise<MessagePage>}
   */
  async messages(id, cursor = null, limit = 50) {
    const path = fill('/api/v1/conversaciones-whatsapp/{conversation_id}/mensajes', {
      conversation_id: id,
    });
    return /** @type {MessagePage} */ (
      await this.request('GET', path, { params: { limit, cursor } })
    );
  }

  /**
   * `POST /api/v1/conversaciones-whatsapp/{conversation_id}/mensajes`: an agent's reply.
   * @param {string} id
   * @param {Reply} reply
   * @returns {Promise<MessageOut>}
   */
  async reply(
    id,
    { agent = null, text = null, template = null, reply_to_wamid = null, take_over = true },
  ) {
    /** @type {AgentReplyIn} */
    const body = { take_over };
    if (agent) body.agent = agent;
    if (text !== null && text !== undefined) body.text = text;
    if (template) body.template = template;
    if (reply_to_wamid) body.reply_to_wamid = reply_to_wamid;
    const path = fill('/api/v1/conversaciones-whatsapp/{conversation_id}/mensajes', {
      conversation_id: id,
    });
    return /** @type {MessageOut} */ (await this.request('POST', path, { body }));
  }

  /**
   * `POST /api/v1/conversaciones-whatsapp/{conversation_id}/mensajes` as multipart/form-data:
   * an agent's file (a picture, a document, a voice note...), with an optional caption.
   * Rejects with the API's error: 413 too large, 415 a type WhatsApp refuses, 409 outside
   * the 24-hour window, 422 a field is wrong.
   * @param {string} id
   * @param {FileReply} reply
   * @returns {Promise<MessageOut>}
   */
  async sendFile(id, reply) {
    const { file, filename, agent, caption, voice, as_document, reply_to_wamid } = reply;
    const form = new FormData();
    if (agent) form.append('agent', agent);
    form.append('take_over', String(reply.take_over ?? true));
    if (caption) form.append('caption', caption);
    if (voice) form.append('voice', 'true');
    if (as_document) form.append('as_document', 'true');
    if (reply_to_wamid) form.append('reply_to_wamid', reply_to_wamid);
    const name = filename || (file instanceof File ? file.name : '') || 'archivo';
    form.append('file', file, name);
    const path = fill('/api/v1/conversaciones-whatsapp/{conversation_id}/mensajes', {
      conversation_id: id,
    });
    return /** @type {MessageOut} */ (await this.request('POST', path, { body: form }));
  }

  // -- media files ---------------------------------------------------------------------------

  /**
   * The absolute address of a message's file as the API gave it in `media.url` (a signed
   * link that needs no token, for `<img>`, `<audio>`, downloads), or null when there is none.
   * @param {MediaOut | null | undefined} media
   * @returns {string | null}
   */
  mediaHref(media) {
    return media?.url ? this.url(media.url) : null;
  }

  /**
   * `GET /api/v1/medios/{message_id}` with the token: a message's file, as a Blob (for a
   * host CRM that keeps no signed link; the pages use `mediaHref`).
   * @param {string} messageId
   * @returns {Promise<Blob>}
   */
  async mediaFile(messageId) {
    const path = fill('/api/v1/medios/{message_id}', { message_id: messageId });
    let response;
    try {
      response = await fetch(this.url(path), { headers: this.headers({ Accept: '*/*' }) });
    } catch (error) {
      throw new ApiError(0, 'network', (error instanceof Error && error.message) || 'network');
    }
    if (!response.ok) throw await this.failure(response);
    return response.blob();
  }

  /**
   * `POST /api/v1/medios/{message_id}/reintentar`: fetch a failed file from Meta again
   * (while Meta keeps it, 7 days). Answers the message, its file pending again.
   * @param {string} messageId
   * @param {string | null} [retryUrl] the message's `media.retry_url`, when it has one
   * @returns {Promise<MessageOut>}
   */
  async retryMedia(messageId, retryUrl = null) {
    const path = retryUrl || fill('/api/v1/medios/{message_id}/reintentar', { message_id: messageId });
    return /** @type {MessageOut} */ (await this.request('POST', path));
  }

  /**
   * `PUT /api/v1/conversaciones-whatsapp/{conversation_id}/cliente`: link a CRM client.
   * @param {string} id
   * @param {string} clientId
   * @returns {Promise<ConversationOut>}
   */
  async linkClient(id, clientId) {
    const path = fill('/api/v1/conversaciones-whatsapp/{conversation_id}/cliente', {
      conversation_id: id,
    });
    /** @type {Schemas['LinkClientIn']} */
    const body = { client_id: clientId };
    return /** @type {ConversationOut} */ (await this.request('PUT', path, { body }));
  }

  /**
   * `DELETE /api/v1/conversaciones-whatsapp/{conversation_id}/cliente`
   * @param {string} id
   * @returns {Promise<ConversationOut>}
   */
  async unlinkClient(id) {
    const path = fill('/api/v1/conversaciones-whatsapp/{conversation_id}/cliente', {
      conversation_id: id,
    });
    return /** @type {ConversationOut} */ (await this.request('DELETE', path));
  }

  /**
   * `POST /api/v1/conversaciones-whatsapp/{conversation_id}/pausar-bot`: an agent takes over.
   * @param {string} id
   * @param {string | null} [agent] who, with a service token (an agent token says who)
   * @returns {Promise<ConversationOut>}
   */
  async pauseBot(id, agent = null) {
    const path = fill('/api/v1/conversaciones-whatsapp/{conversation_id}/pausar-bot', {
      conversation_id: id,
    });
    /** @type {Schemas['TakeOverIn']} */
    const body = agent ? { agent } : {};
    return /** @type {ConversationOut} */ (await this.request('POST', path, { body }));
  }

  /**
   * `POST /api/v1/conversaciones-whatsapp/{conversation_id}/reanudar-bot`
   * @param {string} id
   * @returns {Promise<ConversationOut>}
   */
  async resumeBot(id) {
    const path = fill('/api/v1/conversaciones-whatsapp/{conversation_id}/reanudar-bot', {
      conversation_id: id,
    });
    return /** @type {ConversationOut} */ (await this.request('POST', path));
  }

  /**
   * `POST /api/v1/conversaciones-whatsapp/{conversation_id}/leida`: read (blue ticks to Meta).
   * @param {string} id
   * @returns {Promise<ConversationOut>}
   */
  async markRead(id) {
    const path = fill('/api/v1/conversaciones-whatsapp/{conversation_id}/leida', {
      conversation_id: id,
    });
    return /** @type {ConversationOut} */ (await this.request('POST', path));
  }

  // -- the team's work -----------------------------------------------------------------------

  /**
   * `GET /api/v1/yo`: who the token says the caller is (an agent, or the service), its
   * scopes and the one client a confined token may see.
   * @returns {Promise<MeOut>}
   */
  async me() {
    const path = /** @satisfies {keyof Paths} */ ('/api/v1/yo');
    return /** @type {MeOut} */ (await this.request('GET', path));
  }

  /**
   * `GET /api/v1/conversaciones-whatsapp/{conversation_id}/actividad`: what the team did
   * (take-overs, assignments, status changes, links, notes...), newest first, by pages.
   * @param {string} id
   * @param {string | null} [cursor]
   * @param {number} [limit]
   * @returns {Promise<ActivityPage>}
   */
  async activity(id, cursor = null, limit = 50) {
    const path = fill('/api/v1/conversaciones-whatsapp/{conversation_id}/actividad', {
      conversation_id: id,
    });
    return /** @type {ActivityPage} */ (
      await this.request('GET', path, { params: { limit, cursor } })
    );
  }

  /**
   * `PUT /api/v1/conversaciones-whatsapp/{conversation_id}/asignacion`: to me (an agent
   * token's agent), to an agent (`{ name, id? }`), or to nobody (null). Assigning pauses
   * the bot; nobody leaves it paused.
   * @param {string} id
   * @param {AssigneeChoice} agent
   * @returns {Promise<ConversationOut>}
   */
  async assign(id, agent) {
    const path = fill('/api/v1/conversaciones-whatsapp/{conversation_id}/asignacion', {
      conversation_id: id,
    });
    /** @type {Schemas['AssignIn']} */
    const body = { agent };
    return /** @type {ConversationOut} */ (await this.request('PUT', path, { body }));
  }

  /**
   * `PUT /api/v1/conversaciones-whatsapp/{conversation_id}/estado`: open, pending or
   * resolved (a customer's new message reopens a resolved conversation).
   * @param {string} id
   * @param {ConversationStatus} status
   * @returns {Promise<ConversationOut>}
   */
  async setStatus(id, status) {
    const path = fill('/api/v1/conversaciones-whatsapp/{conversation_id}/estado', {
      conversation_id: id,
    });
    /** @type {Schemas['StatusIn']} */
    const body = { status };
    return /** @type {ConversationOut} */ (await this.request('PUT', path, { body }));
  }

  /**
   * `POST /api/v1/conversaciones-whatsapp/{conversation_id}/notas`: a private note for the
   * team, never sent to WhatsApp. Answers the activity entry.
   * @param {string} id
   * @param {string} text
   * @returns {Promise<ActivityOut>}
   */
  async addNote(id, text) {
    const path = fill('/api/v1/conversaciones-whatsapp/{conversation_id}/notas', {
      conversation_id: id,
    });
    /** @type {Schemas['NoteIn']} */
    const body = { text };
    return /** @type {ActivityOut} */ (await this.request('POST', path, { body }));
  }

  /**
   * `GET /api/v1/conversaciones-whatsapp/estadisticas`
   * @param {StatisticsRange} [range]
   * @returns {Promise<StatisticsOut>}
   */
  async statistics({ since = null, until = null, timezone = null } = {}) {
    const path = /** @satisfies {keyof Paths} */ ('/api/v1/conversaciones-whatsapp/estadisticas');
    return /** @type {StatisticsOut} */ (
      await this.request('GET', path, { params: { since, until, timezone } })
    );
  }

  /**
   * `GET /api/v1/clientes-crm`: the CRM's clients whose id or name matches `q`.
   * @param {string} q
   * @param {number} [limit]
   * @returns {Promise<ClientList>}
   */
  async searchClients(q, limit = 20) {
    const path = /** @satisfies {keyof Paths} */ ('/api/v1/clientes-crm');
    return /** @type {ClientList} */ (await this.request('GET', path, { params: { q, limit } }));
  }

  // -- channel health ------------------------------------------------------------------------

  /**
   * `GET /api/v1/salud-canal`: the webhook backlog, the quarantine's size and Meta's latest
   * alerts about the account, its quality and the webhook.
   * @returns {Promise<ChannelHealthOut>}
   */
  async channelHealth() {
    const path = /** @satisfies {keyof Paths} */ ('/api/v1/salud-canal');
    return /** @type {ChannelHealthOut} */ (await this.request('GET', path));
  }

  /**
   * `GET /api/v1/entregas-fallidas`: webhook items that could not be understood, newest
   * first, each with its raw JSON, its place in the body and the reason.
   * @param {{ state?: QuarantineState, cursor?: string | null, limit?: number }} [options]
   * @returns {Promise<QuarantinePage>}
   */
  async quarantine({ state = 'abiertas', cursor = null, limit = 50 } = {}) {
    const path = /** @satisfies {keyof Paths} */ ('/api/v1/entregas-fallidas');
    return /** @type {QuarantinePage} */ (
      await this.request('GET', path, { params: { estado: state, limit, cursor } })
    );
  }

  // -- the service itself (no token needed) --------------------------------------------------

  /**
   * `GET /health`: the process answers.
   * @returns {Promise<Status>}
   */
  async health() {
    const path = /** @satisfies {keyof Paths} */ ('/health');
    return /** @type {Status} */ (await this.request('GET', path));
  }

  /**
   * `GET /ready`: the database answers too (an ApiError with status 503 otherwise). Only
   * the status: the ingest backlog is `channelHealth()`.
   * @returns {Promise<Readiness>}
   */
  async ready() {
    const path = /** @satisfies {keyof Paths} */ ('/ready');
    return /** @type {Readiness} */ (await this.request('GET', path));
  }

  // -- live events ---------------------------------------------------------------------------

  /**
   * `GET /api/v1/conversaciones-whatsapp/eventos`: follow the server-sent events until
   * `signal` aborts. EventSource cannot send the Authorization header, so the stream is read
   * with fetch and parsed here; it reconnects after a drop, waiting what the server asked.
   * onEvent(event) per event (the parsed JSON data plus `type`, the SSE event name);
   * onStatus('live' | 'reconnecting').
   * Returns a promise that resolves when the signal aborts (or on 401, after onUnauthorized).
   * @param {EventsOptions} [options]
   * @returns {Promise<void>}
   */
  async events({ conversationId = null, onEvent = () => {}, onStatus = () => {}, signal } = {}) {
    let retry = DEFAULT_RETRY_MS;
    const path = /** @satisfies {keyof Paths} */ ('/api/v1/conversaciones-whatsapp/eventos');
    const url = this.url(path, { conversation_id: conversationId });
    while (!signal?.aborted) {
      try {
        const response = await fetch(url, {
          headers: this.headers({ Accept: 'text/event-stream' }),
          cache: 'no-store',
          signal,
        });
        if (response.status === 401) {
          await this.failure(response);
          onStatus('reconnecting');
          return;
        }
        if (!response.ok || !response.body) throw new ApiError(response.status, 'stream', '');
        onStatus('live');
        await readStream(response.body, signal, {
          onRetry: (ms) => {
            retry = ms;
          },
          onEvent,
        });
      } catch {
        if (signal?.aborted) return;
        // fall through to reconnect: the network dropped or the server restarted
      }
      if (signal?.aborted) return;
      onStatus('reconnecting');
      await sleep(retry, signal);
    }
  }
}

/**
 * @typedef {object} FrameHandlers
 * @property {(ms: number) => void} onRetry
 * @property {(event: LiveEvent) => void} onEvent
 */

/**
 * @param {ReadableStream<Uint8Array>} body
 * @param {AbortSignal | undefined} signal
 * @param {FrameHandlers} handlers
 */
async function readStream(body, signal, { onRetry, onEvent }) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const stop = () => {
    reader.cancel().catch(() => {});
  };
  signal?.addEventListener('abort', stop, { once: true });
  let buffer = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      buffer = buffer.replace(/\r\n?/g, '\n');
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        dispatchFrame(frame, { onRetry, onEvent });
      }
    }
  } finally {
    signal?.removeEventListener('abort', stop);
  }
}

/**
 * One SSE frame (lines up to a blank line), per the EventSource parsing rules.
 * @param {string} frame
 * @returns {{ type: string, data: string | null, retry: number | null }}
 */
export function parseFrame(frame) {
  let type = 'message';
  /** @type {string[]} */
  const data = [];
  /** @type {number | null} */
  let retry = null;
  for (const line of frame.split('\n')) {
    if (!line || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') type = value;
    else if (field === 'data') data.push(value);
    else if (field === 'retry' && /^\d+$/.test(value)) retry = Number(value);
  }
  return { type, data: data.length ? data.join('\n') : null, retry };
}

/**
 * @param {string} frame
 * @param {FrameHandlers} handlers
 */
function dispatchFrame(frame, { onRetry, onEvent }) {
  const { type, data, retry } = parseFrame(frame);
  if (retry !== null) onRetry(retry);
  if (data === null) return;
  /** @type {unknown} */
  let parsed = {};
  try {
    parsed = JSON.parse(data);
  } catch {
    parsed = {};
  }
  // the service's own JSON: its fields are those of LiveEvent (read, never trusted as markup)
  const fields = /** @type {Partial<LiveEvent>} */ (parsed && typeof parsed === 'object' ? parsed : {});
  try {
    onEvent({ ...fields, type });
  } catch (error) {
    console.error(error); // a bug in one handler must not kill the stream
  }
}

/**
 * @param {number} ms
 * @param {AbortSignal | undefined} signal
 * @returns {Promise<void>}
 */
function sleep(ms, signal) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
