// @ts-check
// The composer's "Botones": a message and up to three reply buttons the customer taps
// instead of typing. The agent writes the titles; the ids are made from them
// (lib/interactive-api.js), so the reply reads in the chat as the title tapped. WhatsApp's
// limits (three buttons, 20 characters a title, no two alike) are said here before sending;
// the service checks them again and its refusal is shown as it comes.
import { ApiError } from '../lib/conversaciones-whatsapp.js';
import { h, targetValue, uid } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { MAX_BODY, MAX_BUTTON_TITLE, MAX_BUTTONS, buttonId } from '../lib/interactive-api.js';

/**
 * @typedef {import('../lib/interactive-api.js').Interactive} Interactive
 * @typedef {(interactive: Interactive) => Promise<unknown>} SendInteractive rejects with the
 *   API's error
 */

export class ButtonsForm {
  /** @param {{ send: SendInteractive }} options */
  constructor({ send }) {
    this.send = send;
    this.body = '';
    /** @type {string[]} */
    this.titles = Array.from({ length: MAX_BUTTONS }, () => '');
    this.sending = false;
    this.enabled = true;
    this.problem = '';
    this.ids = {
      body: uid('buttons-body'),
      titles: Array.from({ length: MAX_BUTTONS }, () => uid('buttons-title')),
      hint: uid('buttons-hint'),
    };
    this.element = h('form', {
      class: 'buttons-form',
      novalidate: true,
      on: {
        submit: (event) => {
          event.preventDefault();
          this.submit();
        },
      },
    });
    this.render();
  }

  /** A new conversation: nothing of the last one's draft. */
  reset() {
    this.body = '';
    this.titles = this.titles.map(() => '');
    this.problem = '';
    this.render();
  }

  /** @param {boolean} enabled false outside the 24-hour window (buttons are free-form) */
  setEnabled(enabled) {
    if (enabled === this.enabled) return;
    this.enabled = enabled;
    this.render();
  }

  render() {
    const disabled = !this.enabled || this.sending;
    const body = h('textarea', {
      id: this.ids.body,
      rows: '2',
      maxlength: String(MAX_BODY),
      required: true,
      disabled,
      value: this.body,
      'aria-describedby': this.ids.hint,
      on: { input: (event) => (this.body = targetValue(event)) },
    });
    body.value = this.body;
    const titles = this.titles.map((title, index) => {
      const input = h('input', {
        id: this.ids.titles[index],
        type: 'text',
        maxlength: String(MAX_BUTTON_TITLE),
        autocomplete: 'off',
        disabled,
        value: title,
        on: { input: (event) => (this.titles[index] = targetValue(event)) },
      });
      return h(
        'div',
        { class: 'field buttons-title' },
        h('label', { for: input.id }, t('composer.buttons.title', { n: index + 1 })),
        input,
      );
    });
    this.element.replaceChildren(
      h(
        'div',
        { class: 'field' },
        h('label', { for: this.ids.body }, t('composer.buttons.body')),
        body,
      ),
      h('div', { class: 'buttons-titles' }, titles),
      h(
        'p',
        { id: this.ids.hint, class: 'muted buttons-hint' },
        this.enabled ? t('composer.buttons.hint') : t('composer.buttons.closed'),
      ),
      h('p', { class: 'error buttons-problem', role: 'alert' }, this.problem),
      h(
        'button',
        { type: 'submit', class: 'button send-buttons', disabled },
        this.sending ? t('composer.sending') : t('composer.buttons.send'),
      ),
    );
  }

  /** @returns {Interactive | null} the message to send, or null with the problem shown */
  content() {
    const body = this.body.trim();
    const titles = this.titles.map((title) => title.trim()).filter(Boolean);
    let problem = '';
    if (!body || titles.length === 0) problem = t('composer.buttons.empty');
    else if (titles.some((title) => title.length > MAX_BUTTON_TITLE))
      problem = t('composer.buttons.too_long', { max: MAX_BUTTON_TITLE });
    else if (new Set(titles).size !== titles.length) problem = t('composer.buttons.duplicate');
    this.problem = problem;
    if (problem) return null;
    const buttons = titles.map((title, index) => ({ id: buttonId(index, title), title }));
    return { kind: 'buttons', body, buttons };
  }

  async submit() {
    if (this.sending || !this.enabled) return;
    const interactive = this.content();
    if (!interactive) {
      this.render();
      return;
    }
    this.sending = true;
    this.render();
    try {
      await this.send(interactive);
      this.sending = false;
      this.reset();
    } catch (error) {
      this.sending = false;
      this.problem = error instanceof ApiError && error.message ? error.message : t('error.network');
      this.render();
    }
  }
}
