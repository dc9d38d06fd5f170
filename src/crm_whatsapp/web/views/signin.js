// @ts-check
// The sign-in screen: a token (an agent's, signed by the CRM, or a service's static API
// token) is checked with `GET /api/v1/yo` before it is kept; the answer says who signed in.
import { ApiError, ConversationsService, saveToken } from '../lib/conversaciones-whatsapp.js';
import { h, targetValue } from '../lib/dom.js';
import { renderBareHeader } from './header.js';
import { t } from '../lib/i18n.js';

/** @typedef {import('../lib/conversaciones-whatsapp.js').MeOut} MeOut */

const SAFE_PAGE = /^[A-Za-z0-9_-]+\.html$/;

/**
 * A `next` page to go to after signing in: only a plain `name.html` in this directory.
 * @param {unknown} value
 * @returns {string | null}
 */
export function safeNext(value) {
  return typeof value === 'string' && SAFE_PAGE.test(value) ? value : null;
}

/**
 * Take a `#token=...` from the URL once (a one-click demo link), keep it and remove it from
 * the address bar so it is not left in the history or shared by copy-paste.
 * @returns {string | null}
 */
export function takeTokenFromFragment() {
  const fragment = window.location.hash.replace(/^#/, '');
  if (!fragment) return null;
  const params = new URLSearchParams(fragment);
  const token = params.get('token');
  if (!token) return null;
  saveToken(token);
  params.delete('token');
  const rest = params.toString();
  const url = window.location.pathname + window.location.search + (rest ? `#${rest}` : '');
  window.history.replaceState(window.history.state, '', url);
  return token;
}

/**
 * Check a token: who it says the caller is (`GET /api/v1/yo`), null when the service
 * refuses it (unknown, badly signed, expired); throws on other failures (a 429 included).
 * @param {string} token
 * @param {string} [apiBase]
 * @returns {Promise<MeOut | null>}
 */
export async function verifyToken(token, apiBase) {
  const service = new ConversationsService({ apiBase, token });
  try {
    return await service.me();
  } catch (error) {
    if (error instanceof ApiError && (error.status === 401 || error.status === 403)) return null;
    throw error;
  }
}

/**
 * Render the sign-in form into `root`. `notice` is a message key shown above the form
 * (e.g. when a session expired). Calls onSignedIn(token, me) once a token is verified.
 * @param {HTMLElement} root
 * @param {{
 *   notice?: string | null,
 *   apiBase?: string,
 *   onSignedIn: (token: string, me: MeOut) => void,
 * }} options
 * @returns {() => void} stops following language changes
 */
export function renderSignIn(root, { notice = null, apiBase = undefined, onSignedIn }) {
  /** @type {string | null} a message key */
  let error = null;
  /** @type {Record<string, string>} the message's values */
  let values = {};
  let busy = false;
  let value = '';

  const render = () => {
    const input = h('input', {
      id: 'signin-token',
      name: 'token',
      type: 'password',
      autocomplete: 'current-password',
      required: true,
      value,
      'aria-describedby': error ? 'signin-error' : null,
      'aria-invalid': error ? 'true' : null,
      on: {
        input: (event) => {
          value = targetValue(event);
        },
      },
    });
    const form = h(
      'form',
      { class: 'signin-form', novalidate: true, on: { submit } },
      h('h1', { id: 'signin-title' }, t('signin.title')),
      notice && h('p', { class: 'notice', role: 'status' }, t(notice)),
      h('p', { class: 'muted' }, t('signin.intro')),
      h('label', { for: 'signin-token' }, t('signin.token')),
      input,
      h('p', { id: 'signin-error', class: 'error', role: 'alert' }, error ? t(error, values) : ''),
      h(
        'button',
        { type: 'submit', class: 'button button-primary', disabled: busy },
        busy ? t('signin.checking') : t('signin.submit'),
      ),
    );
    root.replaceChildren(
      renderBareHeader(),
      h('main', { class: 'signin', 'aria-labelledby': 'signin-title' }, form),
    );
    return input;
  };

  /** @param {SubmitEvent} event */
  async function submit(event) {
    event.preventDefault();
    const token = value.trim();
    if (!token) {
      error = 'signin.required';
      render().focus();
      return;
    }
    busy = true;
    error = null;
    values = {};
    render();
    try {
      const me = await verifyToken(token, apiBase);
      if (me) {
        saveToken(token);
        window.removeEventListener('languagechange', render);
        onSignedIn(token, me);
        return;
      }
      error = 'signin.invalid';
    } catch (problem) {
      if (problem instanceof ApiError && problem.status === 429) {
        // too many wrong tokens from this address: the service says how long to wait
        error = 'signin.throttled';
        values = { seconds: String(problem.retryAfter ?? 60) };
      } else {
        // only a network failure or a server error gets here: the token may be fine
        const answered = problem instanceof ApiError && problem.status > 0;
        error = answered ? 'signin.server' : 'signin.network';
      }
    }
    busy = false;
    render().focus();
  }

  window.addEventListener('languagechange', render);
  render().focus();
  return () => window.removeEventListener('languagechange', render);
}
