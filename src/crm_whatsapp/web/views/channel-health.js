// @ts-check
// The inbox header's channel-health indicator (the inbox runs with the API token: its user
// is the admin). It shows nothing while all is well; a badge when webhook items could not
// be understood (the quarantine), and a warning when webhooks wait too long to be read.
// Either opens the details dialog. It asks the service on load, every minute, and soon
// after live events (at most one request at a time, and one per MIN_GAP_MS).
import { h } from '../lib/dom.js';
import { formatDateTime, formatNumber, t } from '../lib/i18n.js';
import { showChannelHealth } from './health-dialog.js';

/**
 * @typedef {import('../lib/conversaciones-whatsapp.js').ConversationsService} ConversationsService
 * @typedef {import('../lib/conversaciones-whatsapp.js').ChannelHealthOut} ChannelHealthOut
 */

const PERIOD_MS = 60_000;
/** Live events may come many a second: they bring the next request forward, to this gap. */
const MIN_GAP_MS = 10_000;
/** A webhook waiting longer than this to be read means the processor is behind. */
export const DELAY_MS = 60_000;
/** A backlog this large is a delay too, however young. */
export const LARGE_BACKLOG = 500;

/**
 * Whether the webhook backlog is late: large, or its oldest body older than DELAY_MS
 * (as the server counts it; by this browser's clock only for an older server).
 * @param {ChannelHealthOut} health
 * @param {number} [now] milliseconds since the epoch
 * @returns {boolean}
 */
export function backlogDelayed(health, now = Date.now()) {
  if (health.pending_deliveries <= 0) return false;
  if (health.pending_deliveries >= LARGE_BACKLOG) return true;
  const waited = health.oldest_pending_seconds;
  if (typeof waited === 'number') return waited * 1000 > DELAY_MS; // the server's clock
  const oldest = health.oldest_pending_at ? Date.parse(health.oldest_pending_at) : NaN;
  return Number.isFinite(oldest) && now - oldest > DELAY_MS;
}

/**
 * "3 entregas sin entender": the badge's text.
 * @param {number} count
 * @returns {string}
 */
export function quarantineText(count) {
  return t(count === 1 ? 'health.quarantine.one' : 'health.quarantine.other', {
    count: formatNumber(count),
  });
}

export class ChannelHealthIndicator {
  /** @param {{ service: ConversationsService }} options */
  constructor({ service }) {
    this.service = service;
    /** @type {ChannelHealthOut | null} */
    this.health = null;
    this.inFlight = false;
    this.again = false;
    this.stale = false;
    this.stopped = false;
    this.lastAsked = -Infinity;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.timer = undefined;
    this.due = Infinity;
    this.dialogOpen = false;

    this.quarantine = this.badge('health-quarantine');
    this.delayed = this.badge('health-delayed');
    // one polite announcement when what is shown changes (not on every refresh)
    this.announcer = h('span', { class: 'sr-only', role: 'status' });
    this.element = h(
      'div',
      { class: 'health', dataset: { state: 'unknown' } },
      this.quarantine,
      this.delayed,
      this.announcer,
    );
    this.onLanguage = () => this.render();
    this.onVisibility = () => {
      if (!document.hidden && this.stale) this.soon();
    };
    window.addEventListener('languagechange', this.onLanguage);
    document.addEventListener('visibilitychange', this.onVisibility);
    this.render();
  }

  /**
   * @param {string} cls
   * @returns {HTMLButtonElement}
   */
  badge(cls) {
    return h('button', {
      type: 'button',
      class: ['health-badge', cls],
      hidden: true,
      'aria-haspopup': 'dialog',
      on: { click: (event) => this.open(/** @type {HTMLButtonElement} */ (event.currentTarget)) },
    });
  }

  /** Ask now, then every minute. */
  start() {
    this.at(performance.now());
  }

  /** Something happened (a live event, a reconnection): ask again soon. */
  nudge() {
    this.soon();
  }

  soon() {
    this.at(Math.max(performance.now(), this.lastAsked + MIN_GAP_MS));
  }

  /**
   * Ask at `when` (performance.now() time), unless a request is already due earlier.
   * @param {number} when
   */
  at(when) {
    if (this.stopped || when >= this.due) return;
    clearTimeout(this.timer);
    this.due = when;
    this.timer = setTimeout(() => this.run(), Math.max(0, when - performance.now()));
  }

  async run() {
    this.timer = undefined;
    this.due = Infinity;
    if (this.stopped) return;
    if (this.inFlight) {
      this.again = true;
      return;
    }
    if (document.hidden) {
      this.stale = true; // nobody looks: ask when the tab is shown again
      return;
    }
    this.stale = false;
    this.inFlight = true;
    this.lastAsked = performance.now();
    try {
      this.show(await this.service.channelHealth());
    } catch {
      // unreachable or not served (an older service): keep what is shown, try again later
    } finally {
      this.inFlight = false;
    }
    if (this.stopped) return;
    this.at(this.lastAsked + PERIOD_MS);
    if (this.again) {
      this.again = false;
      this.soon();
    }
  }

  /** @param {ChannelHealthOut} health the newest state, from here or from the dialog */
  show(health) {
    this.health = health;
    this.render();
  }

  render() {
    const health = this.health;
    const count = health?.quarantine_open ?? 0;
    const delayed = health !== null && backlogDelayed(health);
    this.quarantine.hidden = count <= 0;
    this.quarantine.dataset.count = String(count);
    this.quarantine.replaceChildren(
      h('span', { class: 'health-icon', 'aria-hidden': 'true' }, '⚠'),
      quarantineText(count),
    );
    this.delayed.hidden = !delayed;
    this.delayed.replaceChildren(
      h('span', { class: 'health-icon', 'aria-hidden': 'true' }, '⏱'),
      t('health.delayed'),
    );
    if (health && delayed) {
      this.delayed.title = t('health.backlog', {
        count: formatNumber(health.pending_deliveries),
        since: formatDateTime(health.oldest_pending_at),
      });
    } else {
      this.delayed.removeAttribute('title');
    }
    const attention = count > 0 || delayed;
    this.element.dataset.state = health === null ? 'unknown' : attention ? 'attention' : 'ok';
    const said = [count > 0 && quarantineText(count), delayed && t('health.delayed')]
      .filter(Boolean)
      .join('. ');
    if (this.announcer.textContent !== said) this.announcer.textContent = said;
  }

  /** @param {HTMLButtonElement} opener */
  async open(opener) {
    if (this.dialogOpen) return;
    this.dialogOpen = true;
    try {
      await showChannelHealth(opener, {
        service: this.service,
        health: this.health,
        onHealth: (health) => {
          if (!this.stopped) this.show(health);
        },
      });
    } finally {
      this.dialogOpen = false;
    }
    if (this.stopped) return;
    // the opener may have been hidden meanwhile (all is well again): focus its sibling
    const back = [opener, this.quarantine, this.delayed].find((button) => !button.hidden);
    back?.focus();
  }

  destroy() {
    this.stopped = true;
    clearTimeout(this.timer);
    window.removeEventListener('languagechange', this.onLanguage);
    document.removeEventListener('visibilitychange', this.onVisibility);
  }
}
