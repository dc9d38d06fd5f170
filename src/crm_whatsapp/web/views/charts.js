// @ts-check
// Hand-written SVG charts for the dashboard: pure functions from data to an <svg> element.
//
// They know no language and no API: the caller passes every visible string and the number
// and duration formatters. Each chart is drawn at the pixel width it will be shown at (the
// viewBox matches), so text keeps its size on a phone; CSS scales it between re-renders.
// Every coordinate goes through `num`, so no data (zero, one day, nulls) can produce NaN.

/**
 * @typedef {string | number | boolean | null | undefined} SvgValue
 * @typedef {Record<string, SvgValue>} SvgAttrs null, undefined and false leave one out
 * @typedef {SVGElement | string | null | undefined | false} SvgChild
 * @typedef {{ title: string, summary: string }} ChartText
 * @typedef {{ number: (n: number) => string }} NumberFormat
 * @typedef {import('../lib/conversaciones-whatsapp.js').Schemas['DayCountOut']} DayCount
 * @typedef {{ cls: string, text: string }} LegendEntry
 * @typedef {{ key: string, name: string, count: number }} ShareSeries
 * @typedef {{ key: string, name: string, median: number | null, p90: number | null, count: number }} Responder
 */

const SVG = 'http://www.w3.org/2000/svg';

/**
 * An SVG element; `children` may be elements or strings (text nodes).
 * @param {string} tag
 * @param {SvgAttrs} [attrs]
 * @param {...(SvgChild | SvgChild[])} children
 * @returns {SVGElement}
 */
export function svg(tag, attrs = {}, ...children) {
  const el = /** @type {SVGElement} */ (document.createElementNS(SVG, tag));
  for (const [name, value] of Object.entries(attrs)) {
    if (value !== null && value !== undefined && value !== false) {
      el.setAttribute(name, String(value));
    }
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return el;
}

/**
 * A finite number rounded to 0.01 (0 for anything else).
 * @param {unknown} value
 * @returns {number}
 */
export function num(value) {
  return typeof value === 'number' && Number.isFinite(value) ? Math.round(value * 100) / 100 : 0;
}

/**
 * The ticks of a value axis: 0 up to at least `max` in steps of 1, 2 or 5 × 10^n.
 * @param {number} max
 * @param {number} [count]
 * @returns {number[]}
 */
export function niceTicks(max, count = 4) {
  const top = Number.isFinite(max) && max > 0 ? max : 1;
  const rough = top / count;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  // rough / magnitude is in [1, 10), so 10 × magnitude always qualifies
  const nice = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= rough) ?? 10 * magnitude;
  const step = Math.max(1, nice);
  const ticks = [];
  for (let value = 0; value < top + step; value += step) {
    ticks.push(value);
    if (value >= top) break;
  }
  return ticks;
}

/**
 * Every day from `first` to `last` (YYYY-MM-DD, inclusive), at most `limit` of them.
 * @param {string} first
 * @param {string} last
 * @param {number} [limit]
 * @returns {string[]}
 */
export function daysBetween(first, last, limit = 400) {
  const start = Date.parse(`${first}T00:00:00Z`);
  const end = Date.parse(`${last}T00:00:00Z`);
  if (!Number.isFinite(start) || !Number.isFinite(end) || end < start) return [];
  /** @type {string[]} */
  const days = [];
  for (let t = start; t <= end && days.length <= limit; t += 86_400_000) {
    days.push(new Date(t).toISOString().slice(0, 10));
  }
  return days.length > limit ? [] : days;
}

/**
 * The per-day series with the days without messages filled in, from `since` (or the first
 * day with data) to `until` (or the last one); a range too long to draw keeps the data days.
 * @param {DayCount[]} perDay
 * @param {string | null | undefined} since
 * @param {string | null | undefined} until
 * @param {number} [limit]
 * @returns {DayCount[]}
 */
export function fillDays(perDay, since, until, limit = 400) {
  /** @type {Map<string, DayCount>} */
  const known = new Map(perDay.map((d) => [d.day, d]));
  const sorted = [...known.keys()].sort();
  const first = since || sorted[0];
  const last = until || sorted[sorted.length - 1];
  if (!first || !last) return [];
  const days = daysBetween(first, last, limit);
  if (days.length === 0 || sorted.some((day) => day < first || day > last)) {
    return sorted.map((day) => /** @type {DayCount} */ (known.get(day)));
  }
  return days.map((day) => known.get(day) ?? { day, inbound: 0, outbound: 0 });
}

/**
 * @param {number} width
 * @param {number} height
 * @param {ChartText} text
 */
function root(width, height, text) {
  return svg(
    'svg',
    {
      class: 'chart',
      viewBox: `0 0 ${num(width)} ${num(height)}`,
      width: num(width),
      height: num(height),
      role: 'img',
      'aria-label': text.summary,
      focusable: 'false',
    },
    svg('title', {}, text.title),
    svg('desc', {}, text.summary),
  );
}

/**
 * @param {number} x
 * @param {number} y
 * @param {string} content
 * @param {SvgAttrs} [attrs]
 */
function label(x, y, content, attrs = {}) {
  return svg('text', { x: num(x), y: num(y), class: 'chart-text', ...attrs }, content);
}

const MIDDLE = { 'text-anchor': 'middle' };
const END = { 'text-anchor': 'end' };

/**
 * @param {number} x
 * @param {number} y
 * @param {number} width
 * @param {number} height
 * @param {SvgAttrs} [attrs]
 */
function box(x, y, width, height, attrs = {}) {
  return svg('rect', { x: num(x), y: num(y), width: num(width), height: num(height), ...attrs });
}

/**
 * @param {number} x1
 * @param {number} y1
 * @param {number} x2
 * @param {number} y2
 * @param {SvgAttrs} [attrs]
 */
function line(x1, y1, x2, y2, attrs = {}) {
  return svg('line', { x1: num(x1), y1: num(y1), x2: num(x2), y2: num(y2), ...attrs });
}

/**
 * @param {number} x
 * @param {number} y
 * @param {string} content
 */
function emptyNote(x, y, content) {
  return label(x, y, content, { ...MIDDLE, class: 'chart-text chart-empty' });
}

/**
 * @param {number} x
 * @param {number} y
 * @param {LegendEntry[]} entries
 */
function legend(x, y, entries) {
  const group = svg('g', { class: 'chart-legend' });
  let offset = x;
  for (const entry of entries) {
    group.append(
      box(offset, y - 10, 12, 12, { rx: 2, class: entry.cls }),
      label(offset + 17, y, entry.text),
    );
    offset += 17 + entry.text.length * 7.4 + 18;
  }
  return group;
}

/**
 * Messages per day, inbound and outbound as grouped bars.
 * `text`: {title, summary, inbound, outbound, axis, empty, dayTitle(d)};
 * `format`: {number(n), dayShort(iso)}.
 * @param {DayCount[]} days
 * @param {{
 *   width?: number,
 *   text: ChartText & { inbound: string, outbound: string, axis: string, empty: string, dayTitle: (day: DayCount) => string },
 *   format: NumberFormat & { dayShort: (iso: string) => string },
 * }} options
 * @returns {SVGElement}
 */
export function dayChart(days, { width = 640, text, format }) {
  const height = 270;
  const ticks = niceTicks(Math.max(0, ...days.flatMap((d) => [d.inbound, d.outbound])));
  const top = ticks[ticks.length - 1] || 1;
  const left = 14 + Math.max(...ticks.map((v) => format.number(v).length)) * 7.4;
  const plot = { x: left, y: 58, w: Math.max(40, width - left - 10), h: height - 58 - 34 };
  const chart = root(width, height, text);
  chart.append(
    legend(plot.x, 18, [
      { cls: 'series-inbound', text: text.inbound },
      { cls: 'series-outbound', text: text.outbound },
    ]),
    label(4, 42, text.axis, { class: 'chart-text chart-axis-title' }),
  );
  const base = plot.y + plot.h;
  /** @param {number} value */
  const y = (value) => base - (value / top) * plot.h;
  const grid = svg('g', { class: 'chart-grid' });
  for (const value of ticks) {
    grid.append(
      line(plot.x, y(value), plot.x + plot.w, y(value)),
      label(plot.x - 6, y(value) + 4, format.number(value), END),
    );
  }
  chart.append(grid);
  if (days.length === 0) {
    chart.append(emptyNote(plot.x + plot.w / 2, plot.y + plot.h / 2, text.empty));
    return chart;
  }
  const band = plot.w / days.length;
  const bar = Math.max(1, Math.min(24, (band * 0.8) / 2));
  const every = Math.max(1, Math.ceil(days.length / Math.max(1, Math.floor(plot.w / 64))));
  const bars = svg('g', { class: 'chart-bars' });
  days.forEach((d, i) => {
    const middle = plot.x + band * i + band / 2;
    const inbound = Math.max(0, Number(d.inbound) || 0);
    const outbound = Math.max(0, Number(d.outbound) || 0);
    const group = svg(
      'g',
      { 'data-day': d.day, 'data-inbound': d.inbound, 'data-outbound': d.outbound },
      svg('title', {}, text.dayTitle(d)),
      box(plot.x + band * i, plot.y, band, plot.h, { class: 'chart-hit' }),
      box(middle - bar, y(inbound), bar, base - y(inbound), { class: 'series-inbound' }),
      box(middle, y(outbound), bar, base - y(outbound), { class: 'series-outbound' }),
    );
    if (i % every === 0) {
      group.append(label(middle, base + 18, format.dayShort(d.day), MIDDLE));
    }
    bars.append(group);
  });
  chart.append(bars, line(plot.x, base, plot.x + plot.w, base, { class: 'chart-axis' }));
  if (days.every((d) => !(d.inbound > 0) && !(d.outbound > 0))) {
    chart.append(emptyNote(plot.x + plot.w / 2, plot.y + plot.h / 2, text.empty));
  }
  return chart;
}

const HEAT_LOW = [224, 236, 250];
const HEAT_HIGH = [8, 48, 107];

/**
 * The fill of a heatmap cell: pale grey for none, then light to dark blue.
 * @param {number} count
 * @param {number} max
 * @returns {string}
 */
export function heatColour(count, max) {
  if (!(count > 0) || !(max > 0)) return '#f3f4f6';
  const share = Math.min(1, count / max);
  /** @param {number} i */
  const channel = (i) => Math.round(HEAT_LOW[i] + (HEAT_HIGH[i] - HEAT_LOW[i]) * share);
  return `#${[0, 1, 2].map((i) => channel(i).toString(16).padStart(2, '0')).join('')}`;
}

/**
 * Customer messages by weekday (rows, Monday first) and hour (columns).
 * `text`: {title, summary, empty, weekdays[7], cellTitle(weekday, hour, count), less, more}.
 * @param {ReadonlyArray<ReadonlyArray<number | null>> | null | undefined} grid
 * @param {{
 *   width?: number,
 *   text: ChartText & {
 *     empty: string, weekdays: string[], less: string, more: string,
 *     cellTitle: (weekday: number, hour: number, count: number) => string,
 *   },
 *   format: NumberFormat,
 * }} options
 * @returns {SVGElement}
 */
export function heatmapChart(grid, { width = 640, text, format }) {
  const rows = Array.from({ length: 7 }, (_, w) =>
    Array.from({ length: 24 }, (_, h) => Number(grid?.[w]?.[h]) || 0),
  );
  const max = Math.max(0, ...rows.flat());
  const left = 40;
  const cell = Math.max(8, (width - left - 6) / 24);
  const rowHeight = Math.min(26, Math.max(16, cell));
  const top = 22;
  const height = top + rowHeight * 7 + 44;
  const chart = root(width, height, text);
  for (let hour = 0; hour < 24; hour += 3) {
    chart.append(label(left + cell * hour + cell / 2, 14, String(hour), MIDDLE));
  }
  const cells = svg('g', { class: 'heatmap-cells' });
  rows.forEach((row, weekday) => {
    const y = top + rowHeight * weekday;
    chart.append(label(left - 6, y + rowHeight / 2 + 4, text.weekdays[weekday], END));
    row.forEach((count, hour) => {
      cells.append(
        svg(
          'rect',
          {
            x: num(left + cell * hour + 1),
            y: num(y + 1),
            width: num(cell - 2),
            height: num(rowHeight - 2),
            rx: 2,
            fill: heatColour(count, max),
            class: 'heatmap-cell',
            'data-weekday': weekday,
            'data-hour': hour,
            'data-count': count,
          },
          svg('title', {}, text.cellTitle(weekday, hour, count)),
        ),
      );
    });
  });
  chart.append(cells);
  if (max === 0) chart.append(emptyNote(left + cell * 12, top + rowHeight * 3.5 + 5, text.empty));
  const scaleY = top + rowHeight * 7 + 20;
  const swatches = [0, 0.25, 0.5, 0.75, 1];
  // the swatches start after the longest word "less" is likely to be; its text ends there
  const start = left + Math.max(48, text.less.length * 8.5);
  const scale = svg('g', { class: 'chart-legend' }, label(start - 6, scaleY + 11, text.less, END));
  swatches.forEach((share, i) => {
    scale.append(
      svg('rect', {
        x: num(start + i * 18),
        y: num(scaleY),
        width: 14,
        height: 14,
        rx: 2,
        fill: heatColour(share === 0 ? 0 : share * Math.max(1, max), Math.max(1, max)),
        class: 'heatmap-cell',
      }),
    );
  });
  const most = `${text.more} (${format.number(max)})`;
  scale.append(label(start + swatches.length * 18 + 4, scaleY + 11, most));
  chart.append(scale);
  return chart;
}

/**
 * Who sent the outbound messages: a donut of bot and agent shares with a legend.
 * `text`: {title, summary, total, empty, entry(name, count, share)}; `series` [{key, name, count}].
 * @param {ShareSeries[]} series
 * @param {{
 *   width?: number,
 *   text: ChartText & { total: string, empty: string, entry: (name: string, count: number, share: number) => string },
 * }} options
 * @returns {SVGElement}
 */
export function shareChart(series, { width = 320, text }) {
  const total = series.reduce((sum, s) => sum + (s.count > 0 ? s.count : 0), 0);
  const side = width >= 380;
  const size = 150;
  const legendRows = series.length;
  const height = side ? Math.max(size, 40 + legendRows * 26) + 10 : size + 24 + legendRows * 26;
  const chart = root(width, height, text);
  const cx = side ? size / 2 + 6 : width / 2;
  const cy = size / 2 + 6;
  const radius = 56;
  const circumference = 2 * Math.PI * radius;
  chart.append(svg('circle', { cx: num(cx), cy: num(cy), r: radius, class: 'donut-track' }));
  let offset = 0;
  series.forEach((s) => {
    const share = total > 0 ? Math.max(0, s.count) / total : 0;
    if (share <= 0) return;
    const length = share * circumference;
    chart.append(
      svg(
        'circle',
        {
          cx: num(cx),
          cy: num(cy),
          r: radius,
          class: `donut-slice series-${s.key}`,
          'stroke-dasharray': `${num(length)} ${num(circumference - length)}`,
          'stroke-dashoffset': num(-offset),
          transform: `rotate(-90 ${num(cx)} ${num(cy)})`,
          'data-series': s.key,
          'data-count': s.count,
        },
        svg('title', {}, text.entry(s.name, s.count, share)),
      ),
    );
    offset += length;
  });
  chart.append(
    label(cx, cy + 6, total > 0 ? text.total : text.empty, {
      ...MIDDLE,
      class: 'chart-text donut-total',
    }),
  );
  const legendX = side ? size + 30 : 12;
  const legendY = side ? Math.max(30, cy - (legendRows * 26) / 2 + 12) : size + 30;
  series.forEach((s, i) => {
    const share = total > 0 ? Math.max(0, s.count) / total : 0;
    const y = legendY + i * 26;
    chart.append(
      svg(
        'g',
        { 'data-series': s.key, 'data-count': s.count },
        box(legendX, y - 11, 13, 13, { rx: 2, class: `series-${s.key}` }),
        label(legendX + 20, y, text.entry(s.name, s.count, share)),
      ),
    );
  });
  return chart;
}

/**
 * Failed sends by error code, as horizontal bars, largest first.
 * `text`: {title, summary, empty, describe(code, count)}; `format`: {number(n)}.
 * @param {Readonly<Record<string, number>> | null | undefined} failures
 * @param {{
 *   width?: number,
 *   text: ChartText & { empty: string, describe: (code: string, count: number) => string },
 *   format: NumberFormat,
 * }} options
 * @returns {SVGElement}
 */
export function failuresChart(failures, { width = 640, text, format }) {
  const rows = Object.entries(failures ?? {})
    .map(([code, count]) => ({ code, count: Number(count) || 0 }))
    .sort((a, b) => b.count - a.count || a.code.localeCompare(b.code));
  const rowHeight = 30;
  const height = rows.length === 0 ? 60 : 12 + rows.length * rowHeight;
  const chart = root(width, height, text);
  if (rows.length === 0) {
    chart.append(emptyNote(width / 2, 36, text.empty));
    return chart;
  }
  const max = Math.max(1, ...rows.map((r) => r.count));
  const codeWidth = Math.min(width * 0.4, 16 + Math.max(...rows.map((r) => r.code.length)) * 7.6);
  const countWidth = 12 + Math.max(...rows.map((r) => format.number(r.count).length)) * 7.6;
  const barSpace = Math.max(20, width - codeWidth - countWidth - 8);
  rows.forEach((r, i) => {
    const y = 6 + i * rowHeight;
    const length = Math.max(2, (r.count / max) * barSpace);
    chart.append(
      svg(
        'g',
        { 'data-code': r.code, 'data-count': r.count },
        svg('title', {}, text.describe(r.code, r.count)),
        label(codeWidth - 8, y + 18, r.code, END),
        box(codeWidth, y + 4, length, 20, { rx: 2, class: 'series-failed' }),
        label(codeWidth + length + 6, y + 18, format.number(r.count)),
      ),
    );
  });
  return chart;
}

/**
 * First response times: median and 90th percentile bars for each responder.
 * `responders`: [{key, name, median, p90, count}] in seconds (null when none);
 * `text`: {title, summary, median, p90, none}; `format`: {duration(seconds)}.
 * @param {Responder[]} responders
 * @param {{
 *   width?: number,
 *   text: ChartText & { median: string, p90: string, none: string },
 *   format: { duration: (seconds: number) => string },
 * }} options
 * @returns {SVGElement}
 */
export function responseChart(responders, { width = 640, text, format }) {
  /** @type {number[]} */
  const values = [];
  for (const r of responders) {
    for (const v of [r.median, r.p90]) if (typeof v === 'number' && Number.isFinite(v)) values.push(v);
  }
  const max = Math.max(1, ...values);
  const longest = Math.max(0, ...responders.map((r) => r.name.length));
  const nameWidth = Math.min(width * 0.35, 16 + longest * 7.6);
  const valueWidth = 90;
  const barSpace = Math.max(20, width - nameWidth - valueWidth);
  const groupHeight = 62;
  const height = 34 + responders.length * groupHeight;
  const chart = root(width, height, text);
  chart.append(
    legend(nameWidth, 16, [
      { cls: 'series-median', text: text.median },
      { cls: 'series-p90', text: text.p90 },
    ]),
  );
  responders.forEach((r, i) => {
    const y = 30 + i * groupHeight;
    const group = svg('g', { 'data-responder': r.key, 'data-count': r.count });
    group.append(label(nameWidth - 8, y + 26, r.name, END));
    /** @type {Array<['median' | 'p90', number | null, number]>} */
    const bars = [
      ['median', r.median, 0],
      ['p90', r.p90, 26],
    ];
    bars.forEach(([measure, seconds, dy]) => {
      const known = typeof seconds === 'number' && Number.isFinite(seconds);
      const length = known ? Math.max(2, (Math.max(0, seconds) / max) * barSpace) : 0;
      const shown = known ? format.duration(seconds) : text.none;
      group.append(
        svg(
          'g',
          { 'data-measure': measure, 'data-seconds': known ? seconds : '' },
          svg('title', {}, `${r.name}, ${text[measure]}: ${shown}`),
          box(nameWidth, y + dy + 4, length, 20, { rx: 2, class: `series-${measure}` }),
          label(nameWidth + length + 6, y + dy + 18, shown),
        ),
      );
    });
    chart.append(group);
  });
  return chart;
}
