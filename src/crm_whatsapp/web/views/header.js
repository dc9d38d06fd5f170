// @ts-check
// The page header shared by the inbox and the dashboard.
import { clearToken } from '../lib/conversaciones-whatsapp.js';
import { h, targetValue } from '../lib/dom.js';
import { currentLanguage, setLanguage, t } from '../lib/i18n.js';

let switches = 0;

/** The labelled ES/EN select. */
export function languageSwitch() {
  switches += 1;
  const id = `lang-switch-${switches}`;
  const select = h(
    'select',
    { id, class: 'lang-switch', on: { change: (event) => setLanguage(targetValue(event)) } },
    h('option', { value: 'es', lang: 'es' }, t('lang.es')),
    h('option', { value: 'en', lang: 'en' }, t('lang.en')),
  );
  select.value = currentLanguage();
  return h(
    'div',
    { class: 'lang' },
    h('label', { class: 'lang-label', for: id }, t('lang.label')),
    select,
  );
}

function appName() {
  return h(
    'span',
    { class: 'app-name' },
    h('span', { class: 'app-logo', 'aria-hidden': 'true' }, '💬'),
    t('app.name'),
  );
}

/** A <header> with the app name and the language switch only (the sign-in screen). */
export function renderBareHeader() {
  return h(
    'header',
    { class: 'app-header' },
    appName(),
    h('div', { class: 'header-tools' }, languageSwitch()),
  );
}

/**
 * A <header> with the app name, navigation, the language switch and sign-out.
 * @param {'inbox' | 'dashboard'} active the page it heads
 * @param {readonly Node[]} [tools] more before the language switch (the inbox's channel
 *   health); they keep their state when the header is drawn again in another language
 * @returns {HTMLElement}
 */
export function renderHeader(active, tools = []) {
  const header = h('header', { class: 'app-header' });
  const render = () => {
    /** @type {(page: string, key: string, href: string) => HTMLAnchorElement} */
    const link = (page, key, href) =>
      h(
        'a',
        {
          href,
          class: ['nav-link', active === page && 'active'],
          'aria-current': active === page ? 'page' : null,
        },
        t(key),
      );
    const signOut = h(
      'button',
      {
        type: 'button',
        class: 'button button-quiet signout',
        on: {
          click: () => {
            clearToken();
            window.location.assign('index.html');
          },
        },
      },
      t('nav.signout'),
    );
    header.replaceChildren(
      appName(),
      h(
        'nav',
        { class: 'app-nav', 'aria-label': t('nav.label') },
        link('inbox', 'nav.inbox', 'index.html'),
        link('dashboard', 'nav.dashboard', 'dashboard.html'),
      ),
      h('div', { class: 'header-tools' }, tools, languageSwitch(), signOut),
    );
  };
  render();
  window.addEventListener('languagechange', () => {
    const hadFocus = header.contains(document.activeElement);
    render();
    if (hadFocus) header.querySelector('select')?.focus();
  });
  return header;
}
