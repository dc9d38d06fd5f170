// @ts-check
// The widget's token, kept fresh. A CRM page holds a short-lived agent token minted for one
// client (docs/agents.md); before it expires, and after a 401, the keeper asks the CRM for
// another through a source: the page's `getToken(clientId)` or its `token-url`. The token's
// claims are read here without checking the signature (the browser has no secret and needs
// none): only to know when to renew and which client it is for. The service decides.

/**
 * The claims of an agent token that the widget reads.
 * @typedef {{ sub?: string, name?: string, exp?: number, iat?: number, scope?: string, client_id?: string }} TokenClaims
 */
/**
 * Where fresh tokens come from: called with the widget's client id; resolves with a token.
 * @typedef {(clientId: string) => Promise<string> | string} TokenSource
 */

/** A token refused by the service this soon after the keeper got it is not retried. */
const FRESH_MS = 10_000;
/** Renew at most this long before expiry (and at least a quarter of the token's life). */
const LEAD_MS = 60_000;
/** Without a source, how often to look again once the token should have expired. */
const PROBE_AGAIN_MS = 30_000;
/** setTimeout's ceiling (about 24.8 days): a longer delay would fire at once. */
const MAX_DELAY_MS = 2_147_000_000;

/**
 * The claims of a JWT, unverified; null for anything that is not one (a static API token).
 * @param {string | null | undefined} token
 * @returns {TokenClaims | null}
 */
export function tokenClaims(token) {
  const parts = (token || '').split('.');
  if (parts.length !== 3) return null;
  try {
    const base64 = parts[1].replace(/-/g, '+').replace(/_/g, '/');
    const padded = base64 + '='.repeat((4 - (base64.length % 4)) % 4);
    const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
    /** @type {unknown} */
    const claims = JSON.parse(new TextDecoder().decode(bytes));
    return claims && typeof claims === 'object' ? /** @type {TokenClaims} */ (claims) : null;
  } catch {
    return null;
  }
}

/**
 * Whether the token's own `exp` has passed by this browser's clock.
 * @param {string | null | undefined} token
 * @param {number} [now]
 */
export function tokenExpired(token, now = Date.now()) {
  const exp = tokenClaims(token)?.exp;
  return typeof exp === 'number' && exp * 1000 <= now;
}

/**
 * A source that asks the CRM page's own backend: GET `url` (relative to the page) with
 * `client_id` added to its query, with the page's cookies (same origin). The answer is the
 * token as text, or JSON `{"token": "..."}`.
 * @param {string} url
 * @returns {TokenSource}
 */
export function tokenUrlSource(url) {
  return async (clientId) => {
    const address = new URL(url, document.baseURI);
    address.searchParams.set('client_id', clientId);
    const response = await fetch(address, {
      credentials: 'same-origin',
      cache: 'no-store',
      headers: { Accept: 'application/json, text/plain' },
    });
    if (!response.ok) throw new Error(`token-url answered HTTP ${response.status}`);
    const text = await response.text();
    if (!(response.headers.get('content-type') || '').includes('json')) return text;
    /** @type {unknown} */
    const body = JSON.parse(text);
    if (typeof body === 'string') return body;
    const token = body && typeof body === 'object' && 'token' in body ? body.token : null;
    if (typeof token !== 'string') throw new Error('token-url answered JSON without "token"');
    return token;
  };
}

export class TokenKeeper {
  /**
   * @param {{
   *   token: string | null,
   *   clientId: string,
   *   source?: TokenSource | null,
   *   onToken?: (token: string) => void,
   * }} options `onToken` after every renewal (the element remembers the newest token)
   */
  constructor({ token, clientId, source = null, onToken = () => {} }) {
    this.token = token;
    this.clientId = clientId;
    this.source = source;
    this.onToken = onToken;
    /** @type {Promise<boolean> | null} */
    this.renewing = null;
    /** @type {string | null} */
    this.renewed = null;
    this.renewedAt = 0;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.timer = undefined;
    /** @type {(() => Promise<unknown>) | null} */
    this.probe = null;
    this.stopped = false;
  }

  get canRenew() {
    return this.source !== null;
  }

  /** Whether the token should be replaced before it is even used: none, expired, or
   * minted for another client (the page opened another client). */
  get stale() {
    if (!this.token) return true;
    const claims = tokenClaims(this.token);
    if (!claims) return false;
    return tokenExpired(this.token) || (!!claims.client_id && claims.client_id !== this.clientId);
  }

  /**
   * Ask the source for a new token (one request at a time); whether one came.
   * @returns {Promise<boolean>}
   */
  renew() {
    const source = this.source;
    if (!source || this.stopped) return Promise.resolve(false);
    if (!this.renewing) {
      this.renewing = (async () => {
        try {
          const token = String((await source(this.clientId)) ?? '').trim();
          if (!token || this.stopped) return false;
          const client = tokenClaims(token)?.client_id;
          if (client && client !== this.clientId) {
            throw new Error(`the new token is for client ${client}, not ${this.clientId}`);
          }
          this.token = token;
          this.renewed = token;
          this.renewedAt = Date.now();
          this.onToken(token);
          this.schedule();
          return true;
        } catch (error) {
          console.warn('crm_whatsapp: could not renew the widget token', error);
          return false;
        } finally {
          this.renewing = null;
        }
      })();
    }
    return this.renewing;
  }

  /**
   * The service refused `refused` (401): renew, unless that token was itself just renewed
   * (then renewing again would loop). Whether the request is worth repeating.
   * @param {string | null} refused
   * @returns {Promise<boolean>}
   */
  async renewAfterRefusal(refused) {
    if (refused !== this.token) return !!this.token; // renewed meanwhile: try the new one
    if (refused === this.renewed && Date.now() - this.renewedAt < FRESH_MS) return false;
    return this.renew();
  }

  /**
   * Keep the token fresh from now on: renew it ahead of its expiry (with a source), or call
   * `probe` once it should have expired (without one), so the widget says so before the
   * user types a reply that would fail.
   * @param {() => Promise<unknown>} probe
   */
  watch(probe) {
    this.probe = probe;
    this.schedule();
  }

  schedule() {
    clearTimeout(this.timer);
    const claims = tokenClaims(this.token);
    if (this.stopped || !this.probe || typeof claims?.exp !== 'number') return;
    const exp = claims.exp * 1000;
    const now = Date.now();
    const life = typeof claims.iat === 'number' ? exp - claims.iat * 1000 : exp - now;
    const due = this.canRenew ? exp - Math.min(LEAD_MS, Math.max(0, life) / 4) : exp + 1000;
    this.later(due - now, () => this.due());
  }

  /**
   * @param {number} delay
   * @param {() => void} run
   */
  later(delay, run) {
    clearTimeout(this.timer);
    this.timer = setTimeout(run, Math.min(MAX_DELAY_MS, Math.max(1000, delay)));
  }

  async due() {
    if (this.stopped) return;
    if (this.canRenew && (await this.renew())) return; // renew() scheduled the next one
    if (this.stopped) return;
    if (this.canRenew && !tokenExpired(this.token)) {
      // the CRM did not answer: try again at expiry, the last chance before a 401
      const exp = (tokenClaims(this.token)?.exp ?? 0) * 1000;
      this.later(exp - Date.now(), () => this.due());
      return;
    }
    try {
      await this.probe?.(); // a 401 here ends the widget with its message
    } catch {
      // the probe's own failure handling has spoken; a network error is looked at again
    }
    if (!this.stopped) this.later(PROBE_AGAIN_MS, () => this.due());
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
  }
}
