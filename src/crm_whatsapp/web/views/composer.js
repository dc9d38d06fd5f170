// @ts-check
// The reply box: free text, a file or a voice note inside the 24-hour customer service
// window, a template outside it; or a private note for the team (any time, never sent to
// WhatsApp). With an agent token the token says who writes; with a service token the
// agent's name is asked for (and remembered in this browser). A token without `reply`
// gets no box at all, only the reason.
import { ApiError } from '../lib/conversaciones-whatsapp.js';
import { activeElementOf, h, targetValue, uid } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { identityOf } from '../lib/identity.js';
import { sendInteractive } from '../lib/interactive-api.js';
import { sendTemplate } from '../lib/templates-api.js';
import { Attachments, refusalKey } from './attachments.js';
import { ButtonsForm } from './buttons-form.js';
import { CannedPicker } from './canned-picker.js';
import { TemplatePicker } from './template-picker.js';
import { VoiceRecorder } from './voice-recorder.js';

/**
 * @typedef {import('../lib/conversaciones-whatsapp.js').ConversationsService} ConversationsService
 * @typedef {import('../lib/conversaciones-whatsapp.js').ConversationOut} ConversationOut
 * @typedef {import('../lib/conversaciones-whatsapp.js').MessageOut} MessageOut
 * @typedef {import('../lib/conversaciones-whatsapp.js').TemplateIn} TemplateIn
 * @typedef {import('../lib/conversaciones-whatsapp.js').ActivityOut} ActivityOut
 * @typedef {import('../lib/identity.js').Identity} Identity
 * @typedef {import('../lib/templates-api.js').TemplateSend} TemplateSend
 * @typedef {'reply' | 'note'} Mode
 * @typedef {{ file: File, caption: string, voice: boolean, as_document: boolean }} FileContent
 */

const AGENT_KEY = 'crm_whatsapp.agent';

/** The agent's name as remembered in this browser (default: "Agente"). */
export function agentName() {
  let stored = null;
  try {
    stored = window.localStorage.getItem(AGENT_KEY);
  } catch {
    stored = null;
  }
  return (stored || '').trim() || t('composer.agent.default');
}

/** @param {string} name */
export function setAgentName(name) {
  try {
    window.localStorage.setItem(AGENT_KEY, name.trim());
  } catch {
    // storage blocked: the name lasts for this page only
  }
}

/**
 * "5:03:09" — hours, minutes and seconds left.
 * @param {number} ms
 * @returns {string}
 */
export function formatRemaining(ms) {
  const total = Math.max(0, Math.floor(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = String(Math.floor((total % 3600) / 60)).padStart(2, '0');
  const seconds = String(total % 60).padStart(2, '0');
  return `${hours}:${minutes}:${seconds}`;
}

export class Composer {
  /**
   * onSent(message) after a 201; onNoted(entry) after a private note is stored; onStale()
   * when the API says the window has closed.
   * @param {{
   *   service: ConversationsService,
   *   onSent: (message: MessageOut) => void,
   *   onNoted?: (entry: ActivityOut) => void,
   *   onStale?: () => void,
   * }} options
   */
  constructor({ service, onSent, onNoted = () => {}, onStale = () => {} }) {
    this.service = service;
    this.onSent = onSent;
    this.onNoted = onNoted;
    this.onStale = onStale;
    /** @type {ConversationOut | null} */
    this.conversation = null;
    /** @type {Identity | null} who is signed in (null until known) */
    this.identity = null;
    /** @type {Mode} a reply to the customer, or a private note */
    this.mode = 'reply';
    this.sending = false;
    this.error = '';
    this.text = '';
    /** the note being written: kept apart, so a note never becomes a reply by mistake */
    this.noteText = '';
    this.templateOpen = false;
    /** the synced catalogue, a template's fields and its preview (views/template-picker.js) */
    this.templates = new TemplatePicker({
      service,
      send: (template, file) => this.sendTemplate(template, file),
    });
    /** reply buttons the customer taps instead of typing (views/buttons-form.js) */
    this.buttonsForm = new ButtonsForm({ send: (content) => this.sendInteractive(content) });
    this.buttonsOpen = false;
    /** `/atajo` in the box: the team's canned responses (views/canned-picker.js) */
    this.canned = new CannedPicker({ service });
    /** @type {HTMLParagraphElement | null} */
    this.windowLine = null;
    /** @type {HTMLParagraphElement | null} */
    this.errorLine = null;
    /** @type {boolean | undefined} whether the window was open at the last render */
    this.renderedOpen = undefined;
    this.ids = {
      text: uid('composer-text'),
      agent: uid('composer-agent'),
      window: uid('composer-window'),
      mode: uid('composer-mode'),
    };
    this.element = h('div', { class: 'composer' });
    this.attachments = new Attachments({ onChange: () => this.render() });
    this.recorder = new VoiceRecorder({
      onRecorded: (file) => this.sendFile(file, { voice: true }),
      onError: (message) => this.showError(message),
      onChange: () => this.render(),
    });
    this.timer = setInterval(() => this.tick(), 1000);
    this.onLanguage = () => this.render();
    window.addEventListener('languagechange', this.onLanguage);
  }

  destroy() {
    clearInterval(this.timer);
    this.recorder.destroy();
    this.attachments.destroy();
    this.templates.destroy();
    window.removeEventListener('languagechange', this.onLanguage);
  }

  /** @param {Identity} identity */
  setIdentity(identity) {
    this.identity = identity;
    this.templates.setIdentity(identity);
    this.render();
  }

  /** Whether the token may write (unknown: yes, the server decides). */
  canWrite() {
    return !this.identity || this.identity.can('reply');
  }

  /** @param {ConversationOut | null} conversation */
  setConversation(conversation) {
    const changed = conversation?.id !== this.conversation?.id;
    this.conversation = conversation;
    if (changed) {
      this.text = '';
      this.noteText = '';
      this.mode = 'reply';
      this.error = '';
      this.templateOpen = false;
      this.recorder.cancel();
      this.attachments.clear();
      this.templates.reset();
      this.buttonsForm.reset();
      this.buttonsOpen = false;
    }
    this.templates.setMarketingOptOut(Boolean(conversation?.marketing_opt_out));
    this.render();
  }

  remaining() {
    const closes = this.conversation?.service_window_closes_at;
    if (!closes) return 0;
    return new Date(closes).getTime() - Date.now();
  }

  windowOpen() {
    return this.remaining() > 0;
  }

  tick() {
    if (!this.conversation || !this.windowLine || this.mode === 'note') return;
    const open = this.windowOpen();
    if (open !== this.renderedOpen) {
      this.render();
      return;
    }
    if (open) {
      const time = formatRemaining(this.remaining());
      this.windowLine.textContent = t('composer.window.open', { time });
    }
  }

  render() {
    const conversation = this.conversation;
    if (!conversation) {
      this.attachments.setEnabled(false);
      this.element.replaceChildren();
      return;
    }
    if (!this.canWrite()) {
      this.attachments.setEnabled(false);
      this.windowLine = null;
      this.element.classList.remove('composer-note');
      this.element.replaceChildren(
        h('p', { class: 'composer-readonly', role: 'note' }, t('scope.missing.reply')),
      );
      return;
    }
    const active = activeElementOf(this.element);
    const focusedId = active && this.element.contains(active) ? active.id : null;
    this.element.classList.toggle('composer-note', this.mode === 'note');
    if (this.mode === 'note') {
      this.renderNote(focusedId);
      return;
    }
    const open = this.windowOpen();
    this.renderedOpen = open;
    this.attachments.setEnabled(open);
    const file = this.attachments.file;
    const explanation = !open
      ? conversation.last_inbound_at
        ? t('composer.window.closed')
        : t('composer.window.none')
      : t('composer.window.open', { time: formatRemaining(this.remaining()) });
    this.windowLine = h(
      'p',
      { id: this.ids.window, class: ['window-line', open ? 'window-open' : 'window-closed'] },
      explanation,
    );

    const textarea = h('textarea', {
      id: this.ids.text,
      class: 'composer-text',
      rows: '1',
      placeholder: t(file ? 'composer.caption' : 'composer.placeholder'),
      disabled: !open || this.sending,
      'aria-describedby': this.ids.window,
      value: this.text,
      on: {
        input: () => {
          this.text = textarea.value;
          this.grow(textarea);
        },
        keydown: (event) => {
          // Enter sends, Shift+Enter starts a new line, as in WhatsApp Web
          if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
            event.preventDefault();
            this.sendText();
          }
        },
      },
    });
    textarea.value = this.text;
    const textForm = this.recorder.recording ? this.recorder.bar() : h(
      'form',
      {
        class: 'composer-row',
        on: {
          submit: (event) => {
            event.preventDefault();
            this.sendText();
          },
        },
      },
      h('label', { class: 'sr-only', for: this.ids.text }, t('composer.label')),
      this.attachments.button(!open || this.sending),
      textarea,
      !file && this.recorder.button(!open || this.sending),
      h(
        'button',
        { type: 'submit', class: 'button button-primary send', disabled: !open || this.sending },
        this.sending ? t('composer.sending') : t('composer.send'),
      ),
    );

    // a service token names the agent it acts for; an agent token is the agent
    const agent =
      this.identity &&
      !this.identity.isAgent &&
      h(
        'div',
        { class: 'composer-agent' },
        h('label', { for: this.ids.agent }, t('composer.agent')),
        h('input', {
          id: this.ids.agent,
          type: 'text',
          autocomplete: 'name',
          maxlength: '200',
          value: agentName(),
          on: { change: (event) => setAgentName(targetValue(event)) },
        }),
      );

    /** @type {HTMLDetailsElement} */
    const details = h(
      'details',
      {
        class: 'template-form',
        open: this.templateOpen || !open,
        on: {
          toggle: () => {
            this.templateOpen = details.open;
            if (details.open) this.templates.ensureLoaded();
          },
        },
      },
      h('summary', {}, t('composer.template')),
      this.templates.element,
    );
    if (details.open) this.templates.ensureLoaded();

    this.buttonsForm.setEnabled(open);
    /** @type {HTMLDetailsElement} */
    const buttons = h(
      'details',
      {
        class: 'buttons-details',
        open: this.buttonsOpen,
        on: { toggle: () => (this.buttonsOpen = buttons.open) },
      },
      h('summary', {}, t('composer.buttons')),
      this.buttonsForm.element,
    );

    this.errorLine = h('p', { class: 'error composer-error', role: 'alert' }, this.error);
    this.element.replaceChildren(
      this.modeSwitch(),
      this.windowLine,
      this.attachments.input,
      this.attachments.chip(this.sending) || '',
      textForm,
      this.errorLine,
      h('div', { class: 'composer-extra' }, agent, details, buttons),
    );
    this.grow(textarea);
    this.canned.attach(textarea, conversation.id);
    this.refocus(focusedId);
  }

  /** @param {string | null} focusedId the control that had the focus before a redraw */
  refocus(focusedId) {
    if (!focusedId) return;
    /** @type {HTMLInputElement | HTMLTextAreaElement | HTMLButtonElement | null} */
    const again = this.element.querySelector(`#${focusedId}`);
    if (again && !again.disabled) again.focus();
  }

  /**
   * "Responder al cliente" or "Nota privada": two radio buttons above the box.
   * @returns {HTMLFieldSetElement}
   */
  modeSwitch() {
    /** @type {(mode: Mode, label: string) => HTMLLabelElement} */
    const option = (mode, label) => {
      const id = `${this.ids.mode}-${mode}`;
      return h(
        'label',
        { class: ['mode-option', `mode-${mode}`], for: id },
        h('input', {
          id,
          type: 'radio',
          name: this.ids.mode,
          value: mode,
          checked: this.mode === mode,
          on: {
            change: () => {
              if (mode === 'note') this.recorder.cancel(); // a voice note is for the customer
              this.mode = mode;
              this.error = '';
              this.render();
              this.element.querySelector('textarea')?.focus();
            },
          },
        }),
        label,
      );
    };
    return h(
      'fieldset',
      { class: 'composer-mode' },
      h('legend', { class: 'sr-only' }, t('composer.mode')),
      option('reply', t('composer.mode.reply')),
      option('note', t('composer.mode.note')),
    );
  }

  /**
   * The private note's box: any time (the 24-hour window is WhatsApp's, a note is ours).
   * @param {string | null} focusedId
   */
  renderNote(focusedId) {
    this.attachments.setEnabled(false);
    this.windowLine = null;
    const hintId = `${this.ids.text}-note-hint`;
    const textarea = h('textarea', {
      id: this.ids.text,
      class: 'composer-text',
      rows: '1',
      maxlength: '4096',
      placeholder: t('composer.note.placeholder'),
      disabled: this.sending,
      'aria-describedby': hintId,
      value: this.noteText,
      on: {
        input: () => {
          this.noteText = textarea.value;
          this.grow(textarea);
        },
        keydown: (event) => {
          if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
            event.preventDefault();
            this.sendNote();
          }
        },
      },
    });
    textarea.value = this.noteText;
    this.errorLine = h('p', { class: 'error composer-error', role: 'alert' }, this.error);
    this.element.replaceChildren(
      this.modeSwitch(),
      h('p', { id: hintId, class: 'note-hint' }, t('composer.note.hint')),
      h(
        'form',
        {
          class: 'composer-row',
          on: {
            submit: (event) => {
              event.preventDefault();
              this.sendNote();
            },
          },
        },
        h('label', { class: 'sr-only', for: this.ids.text }, t('composer.note.label')),
        textarea,
        h(
          'button',
          { type: 'submit', class: 'button button-primary send send-note', disabled: this.sending },
          this.sending ? t('composer.sending') : t('composer.note.send'),
        ),
      ),
      this.errorLine,
    );
    this.grow(textarea);
    this.refocus(focusedId);
  }

  async sendNote() {
    if (this.sending || !this.conversation) return;
    const text = this.noteText.trim();
    if (!text) {
      this.showError(t('composer.note.empty'));
      return;
    }
    const conversation = this.conversation;
    this.sending = true;
    this.error = '';
    this.render();
    try {
      const entry = await this.service.addNote(conversation.id, text);
      this.sending = false;
      if (this.conversation?.id === conversation.id) this.noteText = '';
      this.onNoted(entry);
    } catch (error) {
      this.sending = false;
      this.error = error instanceof ApiError && error.message ? error.message : t('error.network');
    }
    this.render();
    if (!this.error) this.element.querySelector('textarea')?.focus();
  }

  /** @param {HTMLTextAreaElement} textarea */
  grow(textarea) {
    textarea.style.height = 'auto';
    textarea.style.height = `${Math.min(textarea.scrollHeight, 160)}px`;
  }

  async sendText() {
    if (this.attachments.file) return this.sendFile(this.attachments.file);
    const text = this.text.trim();
    if (!text) {
      this.showError(t('composer.empty'));
      return;
    }
    const sent = await this.send({ text });
    if (sent) this.text = '';
    this.render();
    if (sent) this.element.querySelector('textarea')?.focus();
  }

  /**
   * Send a template filled in the picker (its file, if any, uploaded with it). A refusal
   * rejects: the picker shows it beside the form.
   * @param {TemplateSend} template
   * @param {File | null} file
   */
  async sendTemplate(template, file) {
    const conversation = this.conversation;
    if (!conversation) return;
    const identity = this.identity ?? (await identityOf(this.service));
    const agent = identity.isAgent ? null : agentName();
    const message = await sendTemplate(this.service, conversation.id, { template, file, agent });
    this.onSent(message);
  }

  /**
   * Send reply buttons written in the "Botones" form; a refusal rejects (the form shows it).
   * @param {import('../lib/interactive-api.js').Interactive} interactive
   */
  async sendInteractive(interactive) {
    const conversation = this.conversation;
    if (!conversation) return;
    const identity = this.identity ?? (await identityOf(this.service));
    const agent = identity.isAgent ? null : agentName();
    const message = await sendInteractive(this.service, conversation.id, { interactive, agent });
    this.onSent(message);
  }

  /**
   * Send a file: the attached one (the text box is its caption), or a voice note just
   * recorded (no caption: WhatsApp has none for audio; the text box keeps its text).
   * @param {File} file
   * @param {{ voice?: boolean }} [options]
   */
  async sendFile(file, { voice = false } = {}) {
    const caption = voice ? '' : this.text.trim();
    const asDocument = !voice && this.attachments.asDocument;
    const sent = await this.send({ file, caption, voice, as_document: asDocument });
    if (sent && !voice) {
      this.text = '';
      this.attachments.clear();
    }
    this.render();
    if (sent) this.element.querySelector('textarea')?.focus();
  }

  /**
   * @param {{ text: string } | { template: TemplateIn } | FileContent} content
   * @returns {Promise<boolean>} whether the API took the message
   */
  async send(content) {
    if (this.sending || !this.conversation) return false;
    const conversation = this.conversation;
    this.sending = true;
    this.error = '';
    this.render();
    try {
      // an agent token writes as its agent: no name in the body (the server refuses another)
      const identity = this.identity ?? (await identityOf(this.service));
      const agent = identity.isAgent ? null : agentName();
      const message =
        'file' in content
          ? await this.service.sendFile(conversation.id, { agent, ...content, take_over: true })
          : await this.service.reply(conversation.id, { agent, ...content, take_over: true });
      this.sending = false;
      this.onSent(message);
      return true;
    } catch (error) {
      this.sending = false;
      // the API's message says exactly what was wrong: show it (as text), after our own
      // explanation when we have one in the user's language
      const apiMessage =
        error instanceof ApiError && error.message ? error.message : t('error.network');
      if (error instanceof ApiError && error.code === 'outside_service_window') {
        this.error = `${t('composer.window.closed')} (${apiMessage})`;
        this.onStale();
      } else if (error instanceof ApiError && refusalKey(error.status)) {
        this.error = `${t(refusalKey(error.status))} (${apiMessage})`;
      } else {
        this.error = apiMessage;
      }
      return false;
    }
  }

  /** @param {string} message */
  showError(message) {
    this.error = message;
    if (this.errorLine) this.errorLine.textContent = message;
  }
}
