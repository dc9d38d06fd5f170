// The CRM API client shared by the inbox, the dashboard and the widget.
// The token lives in sessionStorage only: closing the tab signs out.

const TOKEN_KEY = 'crm_whatsapp.token';
const CONVERSATIONS = 'api/v1/conversaciones-whatsapp';
const CLIENTS = 'api/v1/clientes-crm';
const DEFAULT_RETRY_MS = 3000;

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message || code || `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

function storage() {
  try {
    return window.sessionStorage;
  } catch {
    return null; // storage blocked (privacy settings): the session just is not remembered
  }
}

export function loadToken() {
  return storage()?.getItem(TOKEN_KEY) || null;
}

export function saveToken(token) {
  storage()?.setItem(TOKEN_KEY, token);
}

export function clearToken() {
  storage()?.removeItem(TOKEN_KEY);
}

/** The service root: the pages live at `<root>/inbox/`, this module at `<root>/inbox/lib/`. */
export function defaultApiBase() {
  return new URL('../../', import.meta.url).href;
}

function withSlash(base) {
  return base.endsWith('/') ? base : `${base}/`;
}

function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === null || value === undefined || value === '') continue;
    search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

const FILTERS = ['client_id', 'number', 'since', 'until', 'linked', 'bot_paused', 'opted_out', 'q'];

export class ConversationsService {
  constructor({ apiBase = defaultApiBase(), token = loadToken(), onUnauthorized = () => {} } = {}) {
    this.apiBase = withSlash(new URL(apiBase, document.baseURI).href);
    this.token = token;
    this.onUnauthorized = onUnauthorized;
  }

  url(path, params = {}) {
    return new URL(path + query(params), this.apiBase).href;
  }

  headers(extra = {}) {
    const headers = { Accept: 'application/json', ...extra };
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    return headers;
  }

  async request(method, path, { params = {}, body = undefined } = {}) {
    const init = { method, headers: this.headers(), cache: 'no-store' };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(this.url(path, params), init);
    } catch (error) {
      throw new ApiError(0, 'network', error?.message || 'network');
    }
    if (!response.ok) throw await this.failure(response);
    if (response.status === 204) return null;
    return response.json();
  }

  async failure(response) {
    let code = `http_${response.status}`;
    let message = '';
    try {
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
    return new ApiError(response.status, code, message);
  }

  listConversations(filters = {}, cursor = null, limit = 50) {
    const params = {};
    for (const key of FILTERS) params[key] = filters[key];
    return this.request('GET', CONVERSATIONS, { params: { ...params, limit, cursor } });
  }

  conversationsOfClient(clientId, cursor = null, limit = 50) {
    const path = `${CONVERSATIONS}/cliente/${encodeURIComponent(clientId)}`;
    return this.request('GET', path, { params: { limit, cursor } });
  }

  conversation(id) {
    return this.request('GET', `${CONVERSATIONS}/${encodeURIComponent(id)}`);
  }

  messages(id, cursor = null, limit = 50) {
    return this.request('GET', `${CONVERSATIONS}/${encodeURIComponent(id)}/mensajes`, {
      params: { limit, cursor },
    });
  }

  reply(id, { agent, text = null, template = null, reply_to_wamid = null, take_over = true }) {
    const body = { agent, take_over };
    if (text !== null && text !== undefined) body.text = text;
    if (template) body.template = template;
    if (reply_to_wamid) body.reply_to_wamid = reply_to_wamid;
    return this.request('POST', `${CONVERSATIONS}/${encodeURIComponent(id)}/mensajes`, { body });
  }

  linkClient(id, clientId) {
    return this.request('PUT', `${CONVERSATIONS}/${encodeURIComponent(id)}/cliente`, {
      body: { client_id: clientId },
    });
  }

  unlinkClient(id) {
    return this.request('DELETE', `${CONVERSATIONS}/${encodeURIComponent(id)}/cliente`);
  }

  pauseBot(id, agent) {
    return this.request('POST', `${CONVERSATIONS}/${encodeURIComponent(id)}/pausar-bot`, {
      body: { agent },
    });
  }

  resumeBot(id) {
    return this.request('POST', `${CONVERSATIONS}/${encodeURIComponent(id)}/reanudar-bot`);
  }

  markRead(id) {
    return this.request('POST', `${CONVERSATIONS}/${encodeURIComponent(id)}/leida`);
  }

  statistics({ since = null, until = null, timezone = null } = {}) {
    return this.request('GET', `${CONVERSATIONS}/estadisticas`, {
      params: { since, until, timezone },
    });
  }

  searchClients(q, limit = 20) {
    return this.request('GET', CLIENTS, { params: { q, limit } });
  }

  /**
   * Follow the server-sent events stream until `signal` aborts. EventSource cannot send the
   * Authorization header, so the stream is read with fetch and parsed here.
   * onEvent(event) per event, where event is the parsed JSON data plus `type` (the SSE event
   * name): {type, conversation_id, message_id?, status?}; onStatus('live' | 'reconnecting').
   * Returns a promise that resolves when the signal aborts (or on 401, after onUnauthorized).
   */
  async events({ conversationId = null, onEvent = () => {}, onStatus = () => {}, signal } = {}) {
    let retry = DEFAULT_RETRY_MS;
    const url = this.url(`${CONVERSATIONS}/eventos`, { conversation_id: conversationId });
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
      } catch (error) {
        if (signal?.aborted) return;
        // fall through to reconnect: the network dropped or the server restarted
      }
      if (signal?.aborted) return;
      onStatus('reconnecting');
      await sleep(retry, signal);
    }
  }
}

async function readStream(body, signal, { onRetry, onEvent }) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const stop = () => reader.cancel().catch(() => {});
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

/** One SSE frame (lines up to a blank line), per the EventSource parsing rules. */
export function parseFrame(frame) {
  let type = 'message';
  const data = [];
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

function dispatchFrame(frame, { onRetry, onEvent }) {
  const { type, data, retry } = parseFrame(frame);
  if (retry !== null) onRetry(retry);
  if (data === null) return;
  let parsed = {};
  try {
    parsed = JSON.parse(data);
  } catch {
    parsed = {};
  }
  try {
    onEvent({ ...(parsed && typeof parsed === 'object' ? parsed : {}), type });
  } catch (error) {
    console.error(error); // a bug in one handler must not kill the stream
  }
}

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
