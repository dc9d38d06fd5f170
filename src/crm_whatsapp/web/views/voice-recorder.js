// @ts-check
// A voice note recorded in the browser: the microphone button asks for the microphone and
// records Opus in WebM with MediaRecorder (the server remuxes it to the OGG/Opus WhatsApp
// plays as a voice note); while recording, the elapsed time, a cancel and a stop-and-send.
// Where the browser cannot record (no MediaRecorder, no getUserMedia, no Opus in WebM, or
// not a secure page) there is no microphone button at all.
import { h, uid } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { icon } from './icons.js';

const MIME_TYPE = 'audio/webm;codecs=opus';
const FILE_TYPE = 'audio/webm';

/** @typedef {'idle' | 'starting' | 'recording'} RecorderState */
/**
 * @typedef {object} VoiceRecorderOptions
 * @property {(file: File) => void} onRecorded a finished recording, to send
 * @property {(message: string) => void} onError the microphone could not be used
 * @property {() => void} onChange the state changed (the composer renders again)
 */

/** Whether this browser can record a voice note here. */
export function canRecord() {
  return (
    typeof MediaRecorder !== 'undefined' &&
    typeof navigator.mediaDevices?.getUserMedia === 'function' &&
    (typeof MediaRecorder.isTypeSupported !== 'function' ||
      MediaRecorder.isTypeSupported(MIME_TYPE))
  );
}

/**
 * "0:07", "12:45".
 * @param {number} ms
 */
export function formatElapsed(ms) {
  const total = Math.max(0, Math.floor(ms / 1000));
  return `${Math.floor(total / 60)}:${String(total % 60).padStart(2, '0')}`;
}

export class VoiceRecorder {
  /** @param {VoiceRecorderOptions} options */
  constructor({ onRecorded, onError, onChange }) {
    this.onRecorded = onRecorded;
    this.onError = onError;
    this.onChange = onChange;
    /** @type {RecorderState} */
    this.state = 'idle';
    /** @type {MediaRecorder | null} */
    this.recorder = null;
    /** @type {MediaStream | null} */
    this.stream = null;
    /** @type {Blob[]} */
    this.chunks = [];
    this.startedAt = 0;
    /** @type {ReturnType<typeof setInterval> | undefined} */
    this.timer = undefined;
    /** @type {HTMLElement | null} */
    this.clock = null;
    this.ids = { mic: uid('voice-mic'), stop: uid('voice-stop') };
    this.supported = canRecord();
  }

  get recording() {
    return this.state !== 'idle';
  }

  async start() {
    if (this.state !== 'idle') return;
    this.state = 'starting';
    this.onChange();
    try {
      this.stream = await navigator.mediaDevices.getUserMedia({ audio: true });
      if (this.state !== 'starting') {
        this.release(); // cancelled while the browser asked for the microphone
        return;
      }
      const recorder = new MediaRecorder(this.stream, { mimeType: MIME_TYPE });
      this.recorder = recorder;
      this.chunks = [];
      recorder.addEventListener('dataavailable', (event) => {
        if (event.data.size > 0) this.chunks.push(event.data);
      });
      recorder.start(1000);
      this.startedAt = performance.now();
      this.state = 'recording';
      this.timer = setInterval(() => this.tick(), 250);
      this.onChange();
    } catch (error) {
      this.release();
      this.state = 'idle';
      this.onChange();
      const reason = error instanceof Error ? error.message : String(error);
      this.onError(t('composer.voice.denied', { message: reason }));
    }
  }

  /** Stop recording and hand the note over to be sent. */
  stop() {
    this.finish(true);
  }

  /** Stop recording and throw the note away. */
  cancel() {
    this.finish(false);
  }

  destroy() {
    this.finish(false);
  }

  /** @param {boolean} keep */
  finish(keep) {
    const recorder = this.recorder;
    const was = this.state;
    this.state = 'idle';
    clearInterval(this.timer);
    if (!recorder || recorder.state === 'inactive') {
      this.release();
      if (was !== 'idle') this.onChange();
      return;
    }
    recorder.addEventListener(
      'stop',
      () => {
        const chunks = this.chunks;
        this.chunks = [];
        this.release();
        if (keep && chunks.length) {
          const blob = new Blob(chunks, { type: FILE_TYPE });
          this.onRecorded(new File([blob], 'nota-de-voz.webm', { type: FILE_TYPE }));
        }
      },
      { once: true },
    );
    recorder.stop();
    this.onChange();
  }

  /** Let go of the microphone (the browser's recording indicator goes away). */
  release() {
    for (const track of this.stream?.getTracks() || []) track.stop();
    this.stream = null;
    this.recorder = null;
  }

  tick() {
    if (this.clock) this.clock.textContent = formatElapsed(performance.now() - this.startedAt);
  }

  /**
   * The microphone button; null where the browser cannot record.
   * @param {boolean} disabled
   * @returns {HTMLButtonElement | null}
   */
  button(disabled) {
    if (!this.supported) return null;
    return h(
      'button',
      {
        type: 'button',
        id: this.ids.mic,
        class: 'button button-quiet composer-icon voice-record',
        'aria-label': t('composer.voice.record'),
        title: t('composer.voice.record'),
        disabled: disabled || this.state !== 'idle',
        on: { click: () => this.start() },
      },
      icon('mic'),
    );
  }

  /**
   * What replaces the text row while recording: the time, cancel, stop and send.
   * @returns {HTMLDivElement}
   */
  bar() {
    const starting = this.state === 'starting';
    this.clock = h(
      'span',
      { class: 'voice-clock', role: 'timer' },
      formatElapsed(starting ? 0 : performance.now() - this.startedAt),
    );
    const label = t('composer.voice.recording');
    return h(
      'div',
      { class: 'composer-row voice-bar', role: 'group', 'aria-label': label },
      h('span', { class: 'voice-dot', 'aria-hidden': 'true' }),
      h('span', { class: 'voice-label' }, starting ? t('composer.voice.starting') : label),
      this.clock,
      h(
        'button',
        { type: 'button', class: 'button voice-cancel', on: { click: () => this.cancel() } },
        t('composer.voice.cancel'),
      ),
      h(
        'button',
        {
          type: 'button',
          id: this.ids.stop,
          class: 'button button-primary voice-stop',
          disabled: starting,
          on: { click: () => this.stop() },
        },
        t('composer.voice.stop'),
      ),
    );
  }
}
