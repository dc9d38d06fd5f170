// @ts-check
// The sign-in screen: the API token is checked against the API before it is kept.
import { ApiError, ConversationsService, saveToken } from '../lib/conversaciones-whatsapp.js';
import { h, targetValue } from '../lib/dom.js';
import { renderBareHeader } from './header.js';
import { t } from '../lib/i18n.js';

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
 * Check a token with the smallest request that needs it. Resolves to true, false or throws.
 * @param {string} token
 * @param {string} [apiBase]
 * @returns {Promise<boolean>}
 */
export async function verifyToken(token, apiBase) {
  const service = new ConversationsService({ apiBase, token });
  try {
    await service.listConversations({}, null, 1);
    return true;
  } catch (error) {
    if (error instanceof ApiError && (error.status === 401 || error.status === 403)) return false;
    throw error;
  }
}

/**
 * Render the sign-in form into `root`. `notice` is a message key shown above the form
 * (e.g. when a session expired). Calls onSignedIn(token) once a token is verified.
 * @param {HTMLElement} root
 * @param {{ notice?: string | null, apiBase?: string, onSignedIn: (token: string) => void }} options
 * @returns {() => void} stops following language changes
 */
export function renderSignIn(root, { notice = null, apiBase = undefined, onSignedIn }) {
  /** @type {string | null} a message key */
  let error = null;
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
      h('p', { id: 'signin-error', class: 'error', role: 'alert' }, error ? t(error) : ''),
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
    render();
    try {
      const ok = await verifyToken(token, apiBase);
      if (ok) {
        saveToken(token);
        window.removeEventListener('languagechange', render);
        onSignedIn(token);
        return;
      }
      error = 'signin.invalid';
    } catch (problem) {
      // only a network failure or a server error gets here: the token may be fine
      const answered = problem instanceof ApiError && problem.status > 0;
      error = answered ? 'signin.server' : 'signin.network';
    }
    busy = false;
    render().focus();
  }

  window.addEventListener('languagechange', render);
  render().focus();
  return () => window.removeEventListener('languagechange', render);
}
