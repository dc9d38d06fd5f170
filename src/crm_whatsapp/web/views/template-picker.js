// @ts-check
// The template picker: the synced catalogue searched by name or text, the usable templates
// first and the others greyed out with the reason (paused, not approved, or MARKETING to a
// customer who stopped marketing messages), then the chosen one's form and live preview
// (views/template-form.js). A token with `manage` may sync the catalogue from here. The
// composer, the inbox's "Nueva conversación" and the widget's "Enviar WhatsApp" use it; each
// says how a filled template is sent.
import { activeElementOf, h, uid } from '../lib/dom.js';
import { formatDateTime, t } from '../lib/i18n.js';
import { emptyValues, inPickingOrder, templateKey } from '../lib/template-fields.js';
import { listTemplates, syncTemplates } from '../lib/templates-api.js';
import { TemplateForm, refusalText } from './template-form.js';

/**
 * @typedef {import('../lib/conversaciones-whatsapp.js').ConversationsService} ConversationsService
 * @typedef {import('../lib/identity.js').Identity} Identity
 * @typedef {import('../lib/templates-api.js').CatalogueTemplate} CatalogueTemplate
 * @typedef {import('../lib/templates-api.js').SyncReport} SyncReport
 * @typedef {import('../lib/template-fields.js').TemplateValues} TemplateValues
 * @typedef {import('./template-form.js').SendTemplate} SendTemplate
 */
/**
 * @typedef {object} TemplatePickerOptions
 * @property {ConversationsService} service
 * @property {SendTemplate} send sends the filled template; rejects with the API's error
 * @property {(template: CatalogueTemplate) => void} [onSent]
 * @property {boolean} [allowUpload] a media header may be a file chosen here (default true)
 */

const DEBOUNCE_MS = 250;

/**
 * A text of ours for a value of Meta's (a status, a category), or the value itself when
 * Meta has added one we have no words for.
 * @param {string} key
 * @param {string} value
 */
function known(key, value) {
  const text = t(key);
  return text === key ? value : text;
}

export class TemplatePicker {
  /** @param {TemplatePickerOptions} options */
  constructor({ service, send, onSent = () => {}, allowUpload = true }) {
    this.service = service;
    this.sendTemplate = send;
    this.onSent = onSent;
    this.allowUpload = allowUpload;
    /** @type {CatalogueTemplate[]} */
    this.templates = [];
    /** @type {string | null} */
    this.syncedAt = null;
    /** whether the service has a WhatsApp Business Account to sync from */
    this.configured = true;
    this.loaded = false;
    this.loading = false;
    this.syncing = false;
    this.generation = 0;
    this.query = '';
    /** @type {{ text: string, error: boolean }} */
    this.notice = { text: '', error: false };
    /** @type {SyncReport | null} the last sync's answer, worded in the current language */
    this.synced = null;
    /** @type {CatalogueTemplate | null} */
    this.chosen = null;
    /** @type {TemplateValues} */
    this.values = emptyValues();
    /** @type {TemplateForm | null} */
    this.form = null;
    this.marketingOptOut = false;
    /** @type {string | null} */
    this.blocked = null;
    this.canManage = false;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.timer = undefined;
    this.ids = { search: uid('template-search'), choice: uid('template-choice') };

    this.searchLabel = h('label', { for: this.ids.search });
    this.search = h('input', {
      id: this.ids.search,
      type: 'search',
      autocomplete: 'off',
      class: 'template-search-input',
      on: {
        input: () => {
          clearTimeout(this.timer);
          this.timer = setTimeout(() => this.setQuery(this.search.value), DEBOUNCE_MS);
        },
        keydown: (event) => {
          if (event.key !== 'Enter') return;
          event.preventDefault(); // not the enclosing form's submit
          clearTimeout(this.timer);
          this.setQuery(this.search.value);
        },
      },
    });
    this.syncButton = h('button', {
      type: 'button',
      class: 'button template-sync',
      hidden: true,
      on: { click: () => this.sync() },
    });
    this.status = h('p', { class: 'template-status muted', role: 'status' });
    this.ruleProblems = h('div', { class: 'template-rule-problems', hidden: true });
    this.legend = h('legend', { class: 'sr-only' });
    this.list = h('ul', { class: 'template-choices' });
    this.formHost = h('div', { class: 'template-form-host' });
    this.element = h(
      'section',
      { class: 'template-picker' },
      h(
        'div',
        { class: 'template-search' },
        h('div', { class: 'field' }, this.searchLabel, this.search),
        this.syncButton,
      ),
      this.status,
      this.ruleProblems,
      h('fieldset', { class: 'template-list' }, this.legend, this.list),
      this.formHost,
    );
    this.onLanguage = () => this.render();
    window.addEventListener('languagechange', this.onLanguage);
    this.render();
  }

  destroy() {
    this.generation += 1;
    clearTimeout(this.timer);
    window.removeEventListener('languagechange', this.onLanguage);
  }

  /** Load the catalogue the first time the picker is shown. */
  ensureLoaded() {
    if (!this.loaded && !this.loading) this.load();
  }

  /** @param {Identity} identity */
  setIdentity(identity) {
    this.canManage = identity.me !== null && identity.can('manage');
    this.render();
  }

  /**
   * MARKETING templates are refused to a customer who stopped marketing messages.
   * @param {boolean} optedOut
   */
  setMarketingOptOut(optedOut) {
    if (optedOut === this.marketingOptOut) return;
    this.marketingOptOut = optedOut;
    if (this.chosen && this.reasonOf(this.chosen)) this.choose(null);
    this.renderList();
  }

  /**
   * Why nothing can be sent yet (the dialog's recipient is missing), or null.
   * @param {string | null} reason
   */
  setBlocked(reason) {
    this.blocked = reason;
    this.form?.setBlocked(reason);
  }

  /** Forget the choice and what was typed (another conversation opened). */
  reset() {
    this.notice = { text: '', error: false };
    this.choose(null);
    this.renderStatus();
  }

  focus() {
    this.search.focus();
  }

  /**
   * Why a template cannot be chosen, or null when it can.
   * @param {CatalogueTemplate} template
   * @returns {string | null}
   */
  reasonOf(template) {
    if (!template.sendable) {
      const status = known(`templates.status.${template.status}`, template.status);
      // the server says "PAUSED" or "PAUSED: <Meta's reason>": our words, then Meta's
      const said = (template.not_sendable_reason || '').trim();
      const prefix = `${template.status}:`;
      const detail = said.startsWith(prefix) ? said.slice(prefix.length).trim() : '';
      const text = t('templates.unavailable', { status });
      return detail ? `${text} (${detail})` : said && said !== template.status ? `${text} (${said})` : text;
    }
    if (this.marketingOptOut && template.category === 'MARKETING') {
      return t('templates.marketing_opt_out');
    }
    return null;
  }

  /** @param {string} query */
  setQuery(query) {
    if (query.trim() === this.query) return;
    this.query = query.trim();
    this.load();
  }

  async load() {
    this.generation += 1;
    const generation = this.generation;
    this.loading = true;
    this.renderStatus();
    try {
      const answer = await listTemplates(this.service, { q: this.query || null });
      if (generation !== this.generation) return;
      this.templates = inPickingOrder(answer.items);
      this.syncedAt = answer.synced_at;
      this.configured = answer.configured !== false;
      this.loaded = true;
    } catch (error) {
      if (generation !== this.generation) return;
      this.notice = { text: refusalText(error), error: true };
    }
    this.loading = false;
    this.renderList();
    this.renderStatus();
  }

  async sync() {
    if (this.syncing) return;
    this.syncing = true;
    this.notice = { text: t('templates.syncing'), error: false };
    this.render();
    try {
      this.synced = await syncTemplates(this.service);
      this.notice = { text: '', error: false };
      this.syncing = false;
      await this.load();
    } catch (error) {
      this.syncing = false;
      this.notice = { text: refusalText(error), error: true };
    }
    this.render();
  }

  /** @param {CatalogueTemplate | null} template */
  choose(template) {
    const same = template && this.chosen && templateKey(template) === templateKey(this.chosen);
    if (!same) this.values = emptyValues();
    this.chosen = template;
    this.renderForm();
  }

  render() {
    this.searchLabel.textContent = t('templates.search');
    this.search.placeholder = t('templates.search.placeholder');
    this.syncButton.hidden = !this.canManage;
    this.syncButton.disabled = this.syncing;
    this.syncButton.textContent = this.syncing ? t('templates.syncing') : t('templates.sync');
    this.renderStatus();
    this.renderList();
    this.form?.render(); // in place: a new form would lose the focus and a refusal shown
  }

  renderStatus() {
    const report = this.synced;
    let text = this.notice.text;
    if (!text && report && !this.syncing) {
      const { templates, created, updated, removed } = report;
      text = t('templates.synced', { templates, created, updated, removed });
    }
    if (!text && this.loading) text = t('templates.loading');
    if (!text && this.loaded) {
      if (this.syncedAt) text = t('templates.synced_at', { date: formatDateTime(this.syncedAt) });
      else text = t(this.configured ? 'templates.never_synced' : 'templates.not_configured');
    }
    this.status.textContent = text;
    this.status.classList.toggle('error', this.notice.error);
    this.renderRuleProblems(report && !this.syncing ? report.rule_problems : []);
  }

  /**
   * What Meta would refuse of the bot rules' templates, as the sync found it: lines of the
   * server's, naming each rule, for whoever keeps the rules file.
   * @param {string[]} problems
   */
  renderRuleProblems(problems) {
    this.ruleProblems.hidden = !problems.length;
    this.ruleProblems.replaceChildren(
      ...(problems.length
        ? [
            h('p', {}, t('templates.rule_problems', { count: problems.length })),
            h('ul', {}, ...problems.map((problem) => h('li', {}, h('code', {}, problem)))),
          ]
        : []),
    );
  }

  renderList() {
    this.legend.textContent = t('templates.list');
    const active = activeElementOf(this.list);
    const focused =
      active instanceof HTMLInputElement && this.list.contains(active) ? active.value : null;
    const chosenKey = this.chosen ? templateKey(this.chosen) : null;
    const items = this.templates.map((template) => this.choice(template, chosenKey));
    if (this.loaded && !items.length) {
      items.push(
        h(
          'li',
          { class: 'template-none muted' },
          this.query ? t('templates.none_found') : t('templates.none'),
        ),
      );
    }
    this.list.replaceChildren(...items);
    if (focused !== null) {
      /** @type {HTMLInputElement | null} */
      const again = this.list.querySelector(`input[value="${CSS.escape(focused)}"]`);
      again?.focus();
    }
  }

  /**
   * One template as a radio button, greyed out with its reason when it cannot be sent.
   * @param {CatalogueTemplate} template
   * @param {string | null} chosenKey
   * @returns {HTMLLIElement}
   */
  choice(template, chosenKey) {
    const key = templateKey(template);
    const reason = this.reasonOf(template);
    const id = uid('template-option');
    return h(
      'li',
      {
        class: ['template-choice', reason ? 'template-unavailable' : ''],
        dataset: { template: template.name, language: template.language, status: template.status },
      },
      h('input', {
        id,
        type: 'radio',
        name: this.ids.choice,
        value: key,
        checked: key === chosenKey,
        disabled: Boolean(reason),
        on: {
          change: () => {
            this.choose(template);
            this.notice = { text: '', error: false };
            this.renderStatus();
          },
        },
      }),
      h(
        'label',
        { for: id },
        h('span', { class: 'template-name' }, template.name),
        h(
          'span',
          { class: 'template-meta' },
          ` ${template.language} · ${known(`templates.category.${template.category}`, template.category)}`,
        ),
        reason && h('span', { class: 'template-reason' }, reason),
      ),
    );
  }

  renderForm() {
    const template = this.chosen;
    if (!template) {
      this.form = null;
      this.formHost.replaceChildren();
      return;
    }
    const active = activeElementOf(this.formHost);
    const hadFocus = Boolean(active && this.formHost.contains(active));
    this.form = new TemplateForm({
      template,
      values: this.values,
      allowUpload: this.allowUpload,
      blocked: this.blocked,
      send: (message, file) => this.sendTemplate(message, file),
      onSent: () => {
        this.notice = { text: t('templates.sent', { name: template.name }), error: false };
        this.choose(null);
        this.renderList();
        this.renderStatus();
        this.onSent(template);
      },
    });
    this.formHost.replaceChildren(this.form.element);
    if (hadFocus) this.form.focusFirst();
  }
}
