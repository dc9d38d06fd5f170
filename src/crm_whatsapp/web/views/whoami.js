// @ts-check
// Who is signed in, in the page header: the agent's name (from their token), or "Servicio"
// for a static API token; "solo lectura" when the token cannot reply.
import { h, srOnly } from '../lib/dom.js';
import { t } from '../lib/i18n.js';

/** @typedef {import('../lib/identity.js').Identity} Identity */

export class WhoAmI {
  constructor() {
    /** @type {Identity | null} */
    this.identity = null;
    this.element = h('span', { class: 'whoami', hidden: true });
    this.onLanguage = () => this.render();
    window.addEventListener('languagechange', this.onLanguage);
  }

  /** @param {Identity} identity */
  set(identity) {
    this.identity = identity;
    this.render();
  }

  render() {
    const me = this.identity?.me;
    if (!me || !this.identity) {
      this.element.hidden = true;
      this.element.replaceChildren();
      return;
    }
    const agent = this.identity.isAgent;
    const name = agent ? me.actor.name : t('whoami.service');
    this.element.hidden = false;
    this.element.dataset.actorKind = me.actor.kind;
    this.element.title = agent ? t('whoami.agent.title', { name }) : t('whoami.service.title');
    const parts = [
      h('span', { class: 'whoami-icon', 'aria-hidden': 'true' }, agent ? '👤' : '⚙️'),
      srOnly(`${t('whoami.label')} `),
      h('span', { class: 'whoami-name' }, name),
    ];
    if (!this.identity.can('reply')) {
      parts.push(h('span', { class: 'whoami-scope' }, ` · ${t('whoami.readonly')}`));
    }
    this.element.replaceChildren(...parts);
  }

  destroy() {
    window.removeEventListener('languagechange', this.onLanguage);
  }
}
