// @ts-check
// The channel-health dialog: the webhook items that could not be understood (when, which
// field, where in the body, why, and the raw JSON folded away), Meta's latest alerts, and
// how to read the quarantine again after an upgrade. A modal <dialog> like the picture's:
// a close button, Esc and a click outside close it.
import { messageOf } from '../lib/conversaciones-whatsapp.js';
import { h, uid } from '../lib/dom.js';
import { formatDateTime, formatNumber, t } from '../lib/i18n.js';

/**
 * @typedef {import('../lib/conversaciones-whatsapp.js').ConversationsService} ConversationsService
 * @typedef {import('../lib/conversaciones-whatsapp.js').ChannelHealthOut} ChannelHealthOut
 * @typedef {import('../lib/conversaciones-whatsapp.js').ChannelEventOut} ChannelEventOut
 * @typedef {import('../lib/conversaciones-whatsapp.js').QuarantinedOut} QuarantinedOut
 */

export const REPLAY_COMMAND = 'crm-whatsapp deliveries replay';
const PAGE = 50;
/** More of an item's JSON than anyone reads in a dialog: the CLI lists it whole. */
const RAW_SHOWN = 20_000;

/**
 * An item's JSON indented for reading (as received when it is not JSON), cut at RAW_SHOWN.
 * @param {string} raw
 * @returns {string}
 */
export function readableJson(raw) {
  let text = raw;
  try {
    text = JSON.stringify(JSON.parse(raw), null, 2);
  } catch {
    // not JSON (that may be why it is here): show it as it came
  }
  return text.length > RAW_SHOWN ? `${text.slice(0, RAW_SHOWN)}\n…` : text;
}

/**
 * @param {string} iso
 * @returns {HTMLTimeElement}
 */
function time(iso) {
  return h('time', { datetime: iso }, formatDateTime(iso));
}

/**
 * A text whose `{command}` is the replay command, as code.
 * @param {string} key
 * @returns {HTMLParagraphElement}
 */
function withCommand(key) {
  const [before, after = ''] = t(key).split('{command}');
  return h('p', { class: 'health-note' }, before, h('code', {}, REPLAY_COMMAND), after);
}

/**
 * One quarantined item: a description list, and its JSON in a closed <details>.
 * @param {QuarantinedOut} item
 * @returns {HTMLLIElement}
 */
function quarantineItem(item) {
  /** @type {(key: string, value: import('../lib/dom.js').Child) => HTMLElement[]} */
  const pair = (key, value) => [h('dt', {}, t(key)), h('dd', {}, value)];
  return h(
    'li',
    { class: 'quarantine-item', dataset: { quarantineId: item.id } },
    h(
      'dl',
      { class: 'quarantine-facts' },
      pair('health.item.received', time(item.received_at)),
      pair('health.item.field', item.field || t('health.item.no_field')),
      pair('health.item.location', h('code', { class: 'quarantine-location' }, item.location)),
      pair('health.item.reason', h('span', { class: 'quarantine-reason' }, item.reason)),
    ),
    h(
      'details',
      { class: 'quarantine-raw' },
      h('summary', {}, t('health.item.raw')),
      h('pre', {}, h('code', {}, readableJson(item.raw))),
    ),
  );
}

/**
 * @param {ChannelEventOut} alert
 * @returns {HTMLLIElement}
 */
function alertItem(alert) {
  const kind = t(`health.kind.${alert.kind}`);
  return h(
    'li',
    { class: 'health-alert', dataset: { kind: alert.kind } },
    time(alert.received_at),
    ' · ',
    h('strong', {}, kind.startsWith('health.kind.') ? alert.kind : kind),
    ' · ',
    alert.summary,
  );
}

/**
 * @typedef {object} HealthDialogOptions
 * @property {ConversationsService} service
 * @property {ChannelHealthOut | null} health the latest state known (asked again on opening)
 * @property {(health: ChannelHealthOut) => void} [onHealth] with the state asked on opening
 */

/**
 * Open the dialog beside `opener`; resolves when it closes.
 * @param {HTMLElement} opener the header's badge
 * @param {HealthDialogOptions} options
 * @returns {Promise<void>}
 */
export function showChannelHealth(opener, { service, health, onHealth = () => {} }) {
  return new Promise((resolve) => {
    const titleId = uid('health-title');
    const quarantineId = uid('health-quarantine');
    const alertsId = uid('health-alerts');
    let closed = false;
    /** @type {string | null} */
    let cursor = null;

    const backlog = h('p', { class: 'health-backlog' });
    const quarantineTitle = h('h3', { id: quarantineId }, t('health.quarantine.title'));
    const status = h('p', { class: 'muted', role: 'status' }, t('health.loading'));
    const items = h('ol', { class: 'quarantine-list' });
    const more = h(
      'button',
      { type: 'button', class: 'button health-more', hidden: true, on: { click: () => load() } },
      t('health.more'),
    );
    const alerts = h('ul', { class: 'health-alerts' });
    const noAlerts = h('p', { class: 'muted' }, t('health.alerts.none'));

    /** @param {ChannelHealthOut} state */
    const showHealth = (state) => {
      backlog.hidden = state.pending_deliveries <= 0 || !state.oldest_pending_at;
      backlog.textContent = t('health.backlog', {
        count: formatNumber(state.pending_deliveries),
        since: formatDateTime(state.oldest_pending_at),
      });
      quarantineTitle.textContent = t('health.quarantine.count', {
        count: formatNumber(state.quarantine_open),
      });
      alerts.replaceChildren(...state.latest_alerts.map(alertItem));
      alerts.hidden = state.latest_alerts.length === 0;
      noAlerts.hidden = state.latest_alerts.length > 0;
    };

    const load = async () => {
      more.disabled = true;
      status.textContent = t('health.loading');
      try {
        const page = await service.quarantine({ cursor, limit: PAGE });
        if (closed) return;
        cursor = page.next_cursor;
        items.append(...page.items.map(quarantineItem));
        status.textContent = items.childElementCount ? '' : t('health.quarantine.none');
      } catch (error) {
        if (closed) return;
        status.textContent = messageOf(error) || t('error.network');
      }
      more.hidden = !cursor;
      more.disabled = false;
    };

    /** @type {HTMLDialogElement} */
    const dialog = h(
      'dialog',
      { class: 'health-dialog', 'aria-labelledby': titleId },
      h(
        'div',
        { class: 'dialog-head' },
        h('h2', { id: titleId }, t('health.title')),
        h(
          'button',
          { type: 'button', class: 'button health-close', on: { click: () => dialog.close() } },
          t('health.close'),
        ),
      ),
      backlog,
      h(
        'section',
        { 'aria-labelledby': quarantineId },
        quarantineTitle,
        withCommand('health.replay'),
        status,
        items,
        more,
      ),
      h(
        'section',
        { 'aria-labelledby': alertsId },
        h('h3', { id: alertsId }, t('health.alerts.title')),
        alerts,
        noAlerts,
      ),
    );
    if (health) showHealth(health);
    else backlog.hidden = true;
    dialog.addEventListener('click', (event) => {
      // a click on the dialog element itself is on its padding or, outside it, the backdrop
      if (event.target !== dialog) return;
      const box = dialog.getBoundingClientRect();
      const inside =
        event.clientX >= box.left &&
        event.clientX <= box.right &&
        event.clientY >= box.top &&
        event.clientY <= box.bottom;
      if (!inside) dialog.close();
    });
    dialog.addEventListener('close', () => {
      closed = true;
      dialog.remove();
      resolve();
    });
    const root = opener.getRootNode();
    (root instanceof ShadowRoot ? root : document.body).appendChild(dialog);
    dialog.showModal();
    /** @type {HTMLButtonElement | null} */ (dialog.querySelector('.health-close'))?.focus();

    load();
    service
      .channelHealth()
      .then((state) => {
        onHealth(state);
        if (!closed) showHealth(state);
      })
      .catch(() => {}); // the quarantine's own request says what went wrong
  });
}
