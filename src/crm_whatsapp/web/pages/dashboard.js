// @ts-check
// The statistics dashboard: a date range (kept in the URL), cards and SVG charts.
import {
  ApiError,
  ConversationsService,
  clearToken,
  loadToken,
  messageOf,
} from '../lib/conversaciones-whatsapp.js';
import {
  dayChart,
  failuresChart,
  fillDays,
  heatmapChart,
  responseChart,
  shareChart,
} from '../views/charts.js';
import { clear, h } from '../lib/dom.js';
import { renderHeader } from '../views/header.js';
import {
  describeErrorCode,
  formatDayLong,
  formatDayShort,
  formatDuration,
  weekdayNames,
} from '../lib/dashboard-format.js';
import { formatNumber, formatPercent, t } from '../lib/i18n.js';

/**
 * @typedef {import('../lib/conversaciones-whatsapp.js').StatisticsOut} StatisticsOut
 * @typedef {import('../lib/conversaciones-whatsapp.js').Schemas['DurationOut']} DurationOut
 * @typedef {import('../lib/conversaciones-whatsapp.js').Schemas['DayCountOut']} DayCount
 * @typedef {{ since: string | null, until: string | null, timezone: string }} Range
 * @typedef {'7' | '30' | 'all'} QuickRange
 */

const SIGN_IN = 'index.html?next=dashboard.html';
const DEFAULT_DAYS = 30;
const DAY_MS = 86_400_000;
const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * An element of dashboard.html (which has every one this module asks for).
 * @param {string} id
 * @returns {HTMLElement}
 */
const $ = (id) => {
  const element = document.getElementById(id);
  if (!element) throw new Error(`dashboard.html has no #${id}`);
  return element;
};

/**
 * One of the page's two date inputs.
 * @param {'since' | 'until'} id
 * @returns {HTMLInputElement}
 */
const dateInput = (id) => /** @type {HTMLInputElement} */ ($(id));

function signIn() {
  clearToken();
  window.location.replace(SIGN_IN);
}

// -- the range ------------------------------------------------------------------------------

function browserTimezone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

/**
 * Today's date in `zone` (the browser's own if the URL named an unknown one), YYYY-MM-DD.
 * @param {string} zone
 * @returns {string}
 */
function today(zone) {
  /** @type {Intl.DateTimeFormatOptions} */
  const options = { year: 'numeric', month: '2-digit', day: '2-digit' };
  let format;
  try {
    format = new Intl.DateTimeFormat('en-GB', { ...options, timeZone: zone });
  } catch {
    format = new Intl.DateTimeFormat('en-GB', options);
  }
  const parts = format.formatToParts(new Date());
  /** @param {Intl.DateTimeFormatPartTypes} type */
  const part = (type) => parts.find((p) => p.type === type)?.value;
  return `${part('year')}-${part('month')}-${part('day')}`;
}

/**
 * @param {string} iso
 * @param {number} days
 * @returns {string}
 */
function addDays(iso, days) {
  return new Date(Date.parse(`${iso}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/**
 * @param {number} count
 * @param {string} zone
 * @returns {{ since: string, until: string }}
 */
function lastDays(count, zone) {
  const until = today(zone);
  return { since: addDays(until, -(count - 1)), until };
}

/**
 * @param {string | null | undefined} value
 * @returns {string | null}
 */
function validDay(value) {
  const valid = ISO_DAY.test(value ?? '') && !Number.isNaN(Date.parse(`${value}T00:00:00Z`));
  return valid && value ? value : null;
}

/**
 * The range the URL asks for; no parameters at all means the last 30 days.
 * @returns {Range}
 */
function rangeFromUrl() {
  const params = new URLSearchParams(window.location.search);
  const timezone = params.get('timezone') || browserTimezone();
  if (params.get('range') === 'all') return { since: null, until: null, timezone };
  const since = validDay(params.get('since'));
  const until = validDay(params.get('until'));
  if (since || until) return { since, until, timezone };
  return { ...lastDays(DEFAULT_DAYS, timezone), timezone };
}

/** @param {Range} range */
function urlFor(range) {
  const params = new URLSearchParams(window.location.search);
  for (const key of ['range', 'since', 'until']) params.delete(key);
  if (!range.since && !range.until) params.set('range', 'all');
  if (range.since) params.set('since', range.since);
  if (range.until) params.set('until', range.until);
  return `${window.location.pathname}?${params}`;
}

/** @param {Range} range */
function describeRange(range) {
  const since = range.since && formatDayLong(range.since);
  const until = range.until && formatDayLong(range.until);
  if (since && until) return t('dashboard.range.between', { since, until });
  if (since) return t('dashboard.range.from', { since });
  if (until) return t('dashboard.range.to', { until });
  return t('dashboard.range.all');
}

// -- state ----------------------------------------------------------------------------------

/** @type {{ range: Range, stats: StatisticsOut | null, request: number, widths: string }} */
const state = {
  range: rangeFromUrl(),
  stats: null,
  request: 0,
  widths: '',
};

const service = new ConversationsService({ onUnauthorized: signIn });

async function load() {
  const request = ++state.request;
  const main = $('dashboard');
  main.setAttribute('aria-busy', 'true');
  main.classList.add('is-loading');
  clear($('dashboard-error'));
  $('dashboard-status').textContent = t('dashboard.loading');
  try {
    const { since, until, timezone } = state.range;
    const stats = await service.statistics({ since, until, timezone });
    if (request !== state.request) return; // a newer range was asked for meanwhile
    state.stats = stats;
    render();
    announceLoaded();
  } catch (error) {
    if (request !== state.request) return;
    if (error instanceof ApiError && error.status === 401) return; // signIn() is on its way
    state.stats = null;
    render();
    $('dashboard-status').textContent = '';
    $('dashboard-error').append(
      h('p', {}, t('dashboard.error', { message: messageOf(error) || String(error) })),
      h('button', { type: 'button', class: 'button', on: { click: load } }, t('dashboard.retry')),
    );
  } finally {
    if (request === state.request) {
      main.setAttribute('aria-busy', 'false');
      main.classList.remove('is-loading');
    }
  }
}

function announceLoaded() {
  $('dashboard-status').textContent = t('dashboard.loaded', { range: describeRange(state.range) });
}

/**
 * @param {Partial<Range>} range
 * @param {{ push?: boolean }} [options]
 */
function setRange(range, { push = true } = {}) {
  state.range = { ...state.range, ...range };
  if (push) window.history.pushState(null, '', urlFor(state.range));
  showRange();
  load();
}

// -- the range form -------------------------------------------------------------------------

/** @type {Record<QuickRange, (zone: string) => { since: string | null, until: string | null }>} */
const QUICK = {
  7: (zone) => lastDays(7, zone),
  30: (zone) => lastDays(30, zone),
  all: () => ({ since: null, until: null }),
};

/**
 * The quick range a button stands for (its data-range).
 * @param {HTMLElement} button
 * @returns {QuickRange}
 */
function quickOf(button) {
  const range = button.dataset.range;
  return range === '7' || range === '30' ? range : 'all';
}

/** @returns {HTMLButtonElement[]} */
function quickButtons() {
  return Array.from(document.querySelectorAll('button.quick-range'));
}

function showRange() {
  const { since, until, timezone } = state.range;
  dateInput('since').value = since ?? '';
  dateInput('until').value = until ?? '';
  dateInput('since').max = until ?? '';
  dateInput('until').min = since ?? '';
  $('range-problem').textContent = '';
  $('since').removeAttribute('aria-invalid');
  for (const button of quickButtons()) {
    const quick = QUICK[quickOf(button)](timezone);
    const pressed = quick.since === (since ?? null) && quick.until === (until ?? null);
    button.setAttribute('aria-pressed', String(pressed));
  }
}

let typing = 0;

function onDateChange() {
  // a date typed digit by digit is valid at every keystroke: wait for a pause
  window.clearTimeout(typing);
  typing = window.setTimeout(() => {
    const since = validDay(dateInput('since').value);
    const until = validDay(dateInput('until').value);
    if (since && until && since > until) {
      $('since').setAttribute('aria-invalid', 'true');
      $('range-problem').textContent = t('dashboard.range.invalid');
      return;
    }
    if (since === state.range.since && until === state.range.until) return;
    setRange({ since, until });
  }, 350);
}

function setUpForm() {
  $('since').addEventListener('change', onDateChange);
  $('until').addEventListener('change', onDateChange);
  $('range-form').addEventListener('submit', (event) => {
    event.preventDefault();
    onDateChange();
  });
  for (const button of quickButtons()) {
    button.addEventListener('click', () => {
      window.clearTimeout(typing);
      setRange(QUICK[quickOf(button)](state.range.timezone));
    });
  }
  window.addEventListener('popstate', () => {
    state.range = rangeFromUrl();
    showRange();
    load();
  });
}

function applyLabels() {
  document.title = t('dashboard.page');
  $('skip-link').textContent = t('nav.skip');
  $('dashboard-title').textContent = t('dashboard.title');
  $('range-legend').textContent = t('dashboard.range');
  $('since-label').textContent = t('dashboard.since');
  $('until-label').textContent = t('dashboard.until');
  $('quick-ranges').setAttribute('aria-label', t('dashboard.quick'));
  /** @type {Record<QuickRange, string>} */
  const quickKeys = { 7: 'dashboard.last7', 30: 'dashboard.last30', all: 'dashboard.all' };
  for (const button of quickButtons()) {
    button.textContent = t(quickKeys[quickOf(button)]);
  }
  $('timezone-note').textContent = t('dashboard.timezone', { zone: state.range.timezone });
  $('summary-title').textContent = t('dashboard.summary');
  if ($('range-problem').textContent) $('range-problem').textContent = t('dashboard.range.invalid');
}

// -- cards ----------------------------------------------------------------------------------

/** @param {unknown} value */
function count(value) {
  return formatNumber(Number(value) || 0);
}

/**
 * @param {string} field
 * @param {string} value
 * @param {string | number} rawValue
 * @param {...import('../lib/dom.js').Child} detail
 */
function card(field, value, rawValue, ...detail) {
  return h(
    'div',
    { class: 'stat-card', dataset: { stat: field, value: rawValue } },
    h('dt', { class: 'stat-label' }, t(`card.${field}`)),
    h('dd', { class: ['stat-value', rawValue === '' && 'stat-none'] }, value),
    detail.length ? h('dd', { class: 'stat-detail' }, ...detail) : null,
  );
}

/**
 * @param {string} field
 * @param {number} value
 */
function part(field, value) {
  return h(
    'span',
    { class: 'stat-part', dataset: { stat: field, value } },
    `${t(`card.${field}`)}: ${count(value)}`,
  );
}

/**
 * @param {string} field
 * @param {number | null} rate
 */
function rateCard(field, rate) {
  const known = typeof rate === 'number' && Number.isFinite(rate);
  return card(
    field,
    known ? formatPercent(rate) : t('dashboard.none'),
    known ? rate : '',
    known ? t('card.rate.detail') : null,
  );
}

/**
 * @param {string} field
 * @param {DurationOut | null | undefined} summary
 */
function responseCard(field, summary) {
  const median = summary?.median_seconds;
  const p90 = summary?.p90_seconds;
  const known = typeof median === 'number' && Number.isFinite(median);
  const p90Known = typeof p90 === 'number' && Number.isFinite(p90);
  return card(
    field,
    known ? formatDuration(median) : t('dashboard.none'),
    known ? median : '',
    h(
      'span',
      { class: 'stat-part', dataset: { measure: 'p90', seconds: p90Known ? p90 : '' } },
      `${t('card.p90')}: ${p90Known ? formatDuration(p90) : t('dashboard.none')}`,
    ),
    ' · ',
    h('span', { class: 'stat-part' }, t('card.responses', { count: count(summary?.count) })),
  );
}

/** @param {StatisticsOut | null} stats */
function renderCards(stats) {
  const cards = $('stat-cards');
  if (!stats) {
    clear(cards);
    return;
  }
  cards.replaceChildren(
    card('inbound_messages', count(stats.inbound_messages), stats.inbound_messages),
    card(
      'outbound_messages',
      count(stats.outbound_messages),
      stats.outbound_messages,
      part('bot_messages', stats.bot_messages),
      ' · ',
      part('agent_messages', stats.agent_messages),
    ),
    card('conversations', count(stats.conversations), stats.conversations),
    card('customers', count(stats.customers), stats.customers),
    card(
      'linked_conversations',
      count(stats.linked_conversations),
      stats.linked_conversations,
      part('unlinked_conversations', stats.unlinked_conversations),
    ),
    card('bot_replies', count(stats.bot_replies), stats.bot_replies),
    card('handoffs', count(stats.handoffs), stats.handoffs),
    card('opt_outs', count(stats.opt_outs), stats.opt_outs),
    rateCard('delivery_rate', stats.delivery_rate),
    rateCard('read_rate', stats.read_rate),
    responseCard('first_response_bot', stats.first_response_bot),
    responseCard('first_response_agent', stats.first_response_agent),
  );
}

// -- charts ---------------------------------------------------------------------------------

const numberFormat = { number: formatNumber, dayShort: formatDayShort, duration: formatDuration };

/** @param {DayCount[]} days */
function daysText(days) {
  const inbound = days.reduce((sum, d) => sum + d.inbound, 0);
  const outbound = days.reduce((sum, d) => sum + d.outbound, 0);
  /** @param {DayCount} d */
  const total = (d) => d.inbound + d.outbound;
  const busiest = days.reduce((best, d) => (total(d) > total(best) ? d : best), days[0]);
  return {
    title: t('chart.days.title'),
    summary:
      inbound + outbound === 0
        ? t('chart.days.summary.empty')
        : t('chart.days.summary', {
            days: formatNumber(days.length),
            inbound: formatNumber(inbound),
            outbound: formatNumber(outbound),
            busiest: formatDayLong(busiest.day),
            count: formatNumber(total(busiest)),
          }),
    inbound: t('chart.inbound'),
    outbound: t('chart.outbound'),
    axis: t('chart.days.axis'),
    empty: t('chart.days.empty'),
    /** @param {DayCount} d */
    dayTitle: (d) =>
      t('chart.days.day', {
        day: formatDayLong(d.day),
        inbound: formatNumber(d.inbound),
        outbound: formatNumber(d.outbound),
      }),
  };
}

/** @param {ReadonlyArray<ReadonlyArray<number | null>> | null | undefined} grid */
function heatmapText(grid) {
  const long = weekdayNames('long');
  let total = 0;
  let best = { weekday: 0, hour: 0, count: 0 };
  (grid ?? []).forEach((row, weekday) =>
    (row ?? []).forEach((value, hour) => {
      const n = Number(value) || 0;
      total += n;
      if (n > best.count) best = { weekday, hour, count: n };
    }),
  );
  return {
    title: t('chart.heatmap.title'),
    summary:
      total === 0
        ? t('chart.heatmap.summary.empty')
        : t('chart.heatmap.summary', {
            total: formatNumber(total),
            weekday: long[best.weekday],
            hour: best.hour,
            count: formatNumber(best.count),
          }),
    weekdays: weekdayNames('short'),
    /** @type {(weekday: number, hour: number, n: number) => string} */
    cellTitle: (weekday, hour, n) =>
      t('chart.heatmap.cell', { weekday: long[weekday], hour, count: formatNumber(n) }),
    empty: t('chart.heatmap.summary.empty'),
    less: t('chart.heatmap.less'),
    more: t('chart.heatmap.more'),
  };
}

/**
 * @param {number} bot
 * @param {number} agent
 */
function shareText(bot, agent) {
  const total = bot + agent;
  /** @param {number} n */
  const share = (n) => formatPercent(total > 0 ? n / total : 0);
  return {
    title: t('chart.share.title'),
    summary:
      total === 0
        ? t('chart.share.summary.empty')
        : t('chart.share.summary', {
            bot: formatNumber(bot),
            agent: formatNumber(agent),
            botShare: share(bot),
            agentShare: share(agent),
          }),
    empty: t('chart.share.empty'),
    total: formatNumber(total),
    /** @type {(name: string, n: number, fraction: number) => string} */
    entry: (name, n, fraction) =>
      t('chart.share.entry', { name, count: formatNumber(n), share: formatPercent(fraction) }),
  };
}

/** @param {Readonly<Record<string, number>> | null | undefined} failures */
function failuresText(failures) {
  const rows = Object.entries(failures ?? {}).sort((a, b) => b[1] - a[1]);
  const total = rows.reduce((sum, [, n]) => sum + (Number(n) || 0), 0);
  return {
    title: t('chart.failures.title'),
    summary:
      rows.length === 0
        ? t('chart.failures.summary.empty')
        : t('chart.failures.summary', {
            total: formatNumber(total),
            list: rows
              .map(([code, n]) => t('chart.failures.item', { code, count: formatNumber(n) }))
              .join('; '),
          }),
    empty: t('chart.failures.empty'),
    /** @type {(code: string, n: number) => string} */
    describe: (code, n) =>
      [t('chart.failures.code', { code, count: formatNumber(n) }), describeErrorCode(code)]
        .filter(Boolean)
        .join('. '),
  };
}

/**
 * @param {DurationOut | null | undefined} bot
 * @param {DurationOut | null | undefined} agent
 */
function responseText(bot, agent) {
  /** @param {number | null | undefined} seconds */
  const duration = (seconds) =>
    typeof seconds === 'number' && Number.isFinite(seconds)
      ? formatDuration(seconds)
      : t('dashboard.none');
  return {
    title: t('chart.response.title'),
    summary: t('chart.response.summary', {
      botMedian: duration(bot?.median_seconds),
      botP90: duration(bot?.p90_seconds),
      agentMedian: duration(agent?.median_seconds),
      agentP90: duration(agent?.p90_seconds),
    }),
    median: t('chart.response.median'),
    p90: t('chart.response.p90'),
    none: t('dashboard.none'),
  };
}

/**
 * @param {string} id
 * @param {string} titleKey
 */
function panel(id, titleKey) {
  const box = h('div', { class: 'chart-box', id: `${id}-box` });
  const section = h(
    'section',
    { class: ['chart-panel', `chart-panel-${id}`], 'aria-labelledby': `${id}-title` },
    h('h2', { id: `${id}-title`, class: 'chart-title' }, t(titleKey)),
    box,
  );
  return { section, box };
}

/** @param {Element} box */
function widthOf(box) {
  return Math.max(280, Math.floor(box.getBoundingClientRect().width));
}

/** @param {StatisticsOut | null} stats */
function renderCharts(stats) {
  const charts = $('charts');
  if (!stats) {
    clear(charts);
    state.widths = '';
    return;
  }
  const panels = {
    days: panel('days', 'chart.days.title'),
    heatmap: panel('heatmap', 'chart.heatmap.title'),
    share: panel('share', 'chart.share.title'),
    response: panel('response', 'chart.response.title'),
    failures: panel('failures', 'chart.failures.title'),
  };
  charts.replaceChildren(...Object.values(panels).map((p) => p.section));
  const days = fillDays(stats.messages_per_day ?? [], state.range.since, state.range.until);
  const bot = Number(stats.bot_messages) || 0;
  const agent = Number(stats.agent_messages) || 0;
  /** @param {keyof typeof panels} name */
  const width = (name) => widthOf(panels[name].box);
  panels.days.box.append(
    dayChart(days, { width: width('days'), text: daysText(days), format: numberFormat }),
  );
  panels.heatmap.box.append(
    heatmapChart(stats.heatmap, {
      width: width('heatmap'),
      text: heatmapText(stats.heatmap),
      format: numberFormat,
    }),
  );
  panels.share.box.append(
    shareChart(
      [
        { key: 'bot', name: t('card.bot_messages'), count: bot },
        { key: 'agent', name: t('card.agent_messages'), count: agent },
      ],
      { width: width('share'), text: shareText(bot, agent) },
    ),
  );
  panels.response.box.append(
    responseChart(
      [
        { key: 'bot', name: t('chart.response.bot'), ...durations(stats.first_response_bot) },
        { key: 'agent', name: t('chart.response.agent'), ...durations(stats.first_response_agent) },
      ],
      {
        width: width('response'),
        text: responseText(stats.first_response_bot, stats.first_response_agent),
        format: numberFormat,
      },
    ),
  );
  panels.failures.box.append(
    failuresChart(stats.failed_sends, {
      width: width('failures'),
      text: failuresText(stats.failed_sends),
      format: numberFormat,
    }),
  );
  state.widths = currentWidths();
}

/**
 * @param {DurationOut | null | undefined} summary
 * @returns {{ median: number | null, p90: number | null, count: number }}
 */
function durations(summary) {
  return {
    median: summary?.median_seconds ?? null,
    p90: summary?.p90_seconds ?? null,
    count: Number(summary?.count) || 0,
  };
}

function currentWidths() {
  return [...document.querySelectorAll('.chart-box')].map(widthOf).join(',');
}

function render() {
  renderCards(state.stats);
  renderCharts(state.stats);
}

let resizing = 0;

function onResize() {
  window.clearTimeout(resizing);
  resizing = window.setTimeout(() => {
    // charts are drawn at their pixel width: redraw only when a width really changed
    if (state.stats && currentWidths() !== state.widths) renderCharts(state.stats);
  }, 150);
}

// -- start ----------------------------------------------------------------------------------

function start() {
  if (!loadToken()) {
    window.location.replace(SIGN_IN);
    return;
  }
  $('app-header').replaceWith(renderHeader('dashboard'));
  applyLabels();
  setUpForm();
  showRange();
  window.addEventListener('languagechange', () => {
    applyLabels();
    showRange();
    render();
    if (state.stats) {
      announceLoaded();
    }
  });
  window.addEventListener('resize', onResize);
  load();
}

start();
