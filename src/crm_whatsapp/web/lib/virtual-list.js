// @ts-check
// A windowed list for long chats: only the rows in view (plus a margin) are in the DOM;
// spacers stand in for the rest. Heights are measured once a row has been shown and
// estimated before that. Every change keeps the row at the top of the view where it was,
// so prepending older rows or correcting an estimate never makes the view jump.

const MARGIN_PX = 900;
const NEAR_TOP_PX = 1200;
const BOTTOM_SLACK_PX = 48;

/** @typedef {{ key: string, movable?: boolean }} VirtualRow */
/** @typedef {{ key: string, delta: number }} Anchor */
/** @typedef {'anchor' | 'bottom'} Keep */
/**
 * @template {VirtualRow} R
 * @typedef {object} VirtualListOptions
 * @property {HTMLElement} viewport
 * @property {HTMLElement} content
 * @property {(row: R) => HTMLElement} renderRow
 * @property {(row: R) => number} estimate
 * @property {() => void} [onNearTop]
 * @property {(before: R | undefined, after: R) => boolean} [same]
 * @property {(old: HTMLElement, fresh: HTMLElement) => void} [carry]
 */

/** @template {VirtualRow} R */
export class VirtualList {
  /**
   * Rows are {key, movable?, ...}: a `movable` row may change place when rows are added
   * before it (a day separator), so the view is never anchored to one.
   * viewport: the scrolling element. content: where rows go, inside viewport (after any
   * header). renderRow(row) → Element; estimate(row) → px; onNearTop() when the user nears
   * the top (to load older rows); same(oldRow, newRow) → whether a shown row can stay as it is;
   * carry(oldElement, freshElement) moves what must outlive a row's new render (a player in
   * use) from its old element to its new one, before the new one takes its place.
   * @param {VirtualListOptions<R>} options
   */
  constructor({ viewport, content, renderRow, estimate, onNearTop = () => {}, same, carry }) {
    this.viewport = viewport;
    this.same = same || ((a, b) => a === b);
    this.carry = carry || (() => {});
    /** @type {Map<string, HTMLElement>} shown rows whose content changed, until rendered anew */
    this.replacing = new Map();
    this.renderRow = renderRow;
    this.estimate = estimate;
    this.onNearTop = onNearTop;
    /** @type {R[]} */
    this.rows = [];
    /** @type {Map<string, number>} */
    this.index = new Map();
    /** @type {Map<string, number>} */
    this.heights = new Map();
    this.offsets = new Float64Array(1);
    /** @type {Map<string, HTMLElement>} */
    this.rendered = new Map();
    /** @type {number | undefined} the viewport's width when heights were measured */
    this.width = undefined;
    this.start = 0;
    this.end = 0;
    this.topSpacer = document.createElement('div');
    this.bottomSpacer = document.createElement('div');
    this.items = document.createElement('div');
    this.topSpacer.className = 'vl-spacer';
    this.bottomSpacer.className = 'vl-spacer';
    this.items.className = 'vl-items';
    content.replaceChildren(this.topSpacer, this.items, this.bottomSpacer);
    this.frame = 0;
    /** whether the view was at the bottom after the last scroll or update: a viewport that
     * shrinks (the composer grew) moves the bottom out of view without a scroll event */
    this.stuck = false;
    this.onScroll = () => {
      this.stuck = this.measuredAtBottom();
      this.schedule();
    };
    viewport.addEventListener('scroll', this.onScroll, { passive: true });
    this.resizer = new ResizeObserver(() => {
      // a width change re-wraps every bubble: old measurements no longer hold
      const width = this.viewport.clientWidth;
      if (this.width !== undefined && Math.abs(width - this.width) > 1) this.heights.clear();
      this.width = width;
      this.update({ keep: this.atBottom() ? 'bottom' : 'anchor' });
    });
    this.resizer.observe(viewport);
  }

  destroy() {
    this.viewport.removeEventListener('scroll', this.onScroll);
    this.resizer.disconnect();
    cancelAnimationFrame(this.frame);
  }

  schedule() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.update({ keep: 'anchor' });
    });
  }

  /** Whether the view is at the bottom: it is, or it was and only its size changed since. */
  atBottom() {
    return this.stuck || this.measuredAtBottom();
  }

  measuredAtBottom() {
    const { scrollHeight, scrollTop, clientHeight } = this.viewport;
    return scrollHeight - scrollTop - clientHeight <= BOTTOM_SLACK_PX;
  }

  /**
   * Replace every row (same keys keep their measured height and their place on screen).
   * @param {R[]} rows
   * @param {{ stickToBottom?: boolean }} [options]
   */
  setRows(rows, { stickToBottom = false } = {}) {
    /** @type {Keep} */
    const keep = stickToBottom ? 'bottom' : 'anchor';
    const anchor = this.anchor();
    const previous = new Map(this.rows.map((row) => [row.key, row]));
    this.rows = rows;
    this.index = new Map(rows.map((row, i) => [row.key, i]));
    for (const [key, el] of this.rendered) {
      const i = this.index.get(key);
      if (i === undefined) {
        el.remove();
        this.rendered.delete(key);
      } else if (!this.same(previous.get(key), rows[i])) {
        // its content changed: the next render makes a fresh element in its place
        this.replacing.set(key, el);
        this.rendered.delete(key);
      }
    }
    this.layout();
    this.update({ keep, anchor });
  }

  /**
   * A row's content changed: render it again if it is on screen.
   * @param {string} key
   * @param {R} row
   */
  refreshRow(key, row) {
    const i = this.index.get(key);
    if (i === undefined) return;
    this.rows[i] = row;
    const old = this.rendered.get(key);
    if (old) {
      const fresh = this.renderRow(row);
      this.carry(old, fresh);
      old.replaceWith(fresh);
      this.rendered.set(key, fresh);
      this.update({ keep: this.atBottom() ? 'bottom' : 'anchor' });
    }
  }

  /** Render every visible row again (e.g. after a language change). */
  refreshAll() {
    const anchor = this.anchor();
    for (const [key, el] of this.rendered) this.replacing.set(key, el);
    this.rendered.clear();
    this.update({ keep: 'anchor', anchor });
  }

  scrollToBottom() {
    this.update({ keep: 'bottom' });
  }

  base() {
    return this.topSpacer.offsetTop;
  }

  /** @param {number} i */
  heightOf(i) {
    const row = this.rows[i];
    return this.heights.get(row.key) ?? this.estimate(row);
  }

  layout() {
    const n = this.rows.length;
    const offsets = new Float64Array(n + 1);
    for (let i = 0; i < n; i += 1) offsets[i + 1] = offsets[i] + this.heightOf(i);
    this.offsets = offsets;
  }

  /**
   * The first index whose bottom is below `y` (binary search on the offsets).
   * @param {number} y
   */
  indexAt(y) {
    let low = 0;
    let high = this.rows.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (this.offsets[mid + 1] <= y) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /**
   * The row at the top of the view and how far into it the view starts.
   * @returns {Anchor | null}
   */
  anchor() {
    if (!this.rows.length) return null;
    const y = this.viewport.scrollTop - this.base();
    // above the first row (the header is in view): anchor to the first row, delta < 0
    let i = y < 0 ? 0 : Math.min(this.indexAt(y), this.rows.length - 1);
    // rows marked `movable` (day separators) can change place when rows are added before
    // them: anchor to the next fixed row instead
    while (i < this.rows.length - 1 && this.rows[i].movable) i += 1;
    return { key: this.rows[i].key, delta: y - this.offsets[i] };
  }

  /** @param {{ keep?: Keep, anchor?: Anchor | null }} [options] */
  update({ keep = 'anchor', anchor = undefined } = {}) {
    const fixed = anchor === undefined ? this.anchor() : anchor;
    // a few passes: measuring newly shown rows changes the offsets they were placed by
    for (let pass = 0; pass < 4; pass += 1) {
      const changed = this.renderWindow();
      const target = this.targetScroll(keep, fixed);
      const moved = target !== null && Math.abs(this.viewport.scrollTop - target) > 1;
      if (moved) this.viewport.scrollTop = target;
      if (!changed && !moved) break;
    }
    this.stuck = this.measuredAtBottom();
    if (this.viewport.scrollTop - this.base() < NEAR_TOP_PX) this.onNearTop();
  }

  /**
   * @param {Keep} keep
   * @param {Anchor | null} anchor
   * @returns {number | null}
   */
  targetScroll(keep, anchor) {
    if (keep === 'bottom') return this.viewport.scrollHeight - this.viewport.clientHeight;
    if (!anchor) return null;
    const i = this.index.get(anchor.key);
    if (i === undefined) return null;
    return this.base() + this.offsets[i] + anchor.delta;
  }

  /** Put the rows of the current window in the DOM; true if any measured height changed. */
  renderWindow() {
    const n = this.rows.length;
    const y = this.viewport.scrollTop - this.base();
    const height = this.viewport.clientHeight || 600;
    const start = n ? Math.min(this.indexAt(Math.max(0, y - MARGIN_PX)), n - 1) : 0;
    let end = start;
    const bottom = y + height + MARGIN_PX;
    while (end < n && this.offsets[end] < bottom) end += 1;
    this.start = start;
    this.end = end;

    /** @type {HTMLElement[]} */
    const wanted = [];
    const keys = new Set();
    /** @type {number[]} */
    const unmeasured = [];
    for (let i = start; i < end; i += 1) {
      const row = this.rows[i];
      keys.add(row.key);
      let el = this.rendered.get(row.key);
      if (!el) {
        el = this.renderRow(row);
        const old = this.replacing.get(row.key);
        if (old) {
          // in one step, so that a player carried over never leaves the document
          this.carry(old, el);
          old.replaceWith(el);
          this.replacing.delete(row.key);
        }
        this.rendered.set(row.key, el);
        unmeasured.push(i);
      } else if (!this.heights.has(row.key)) {
        unmeasured.push(i);
      }
      wanted.push(el);
    }
    for (const [key, el] of this.rendered) {
      if (!keys.has(key)) {
        el.remove();
        this.rendered.delete(key);
      }
    }
    for (const el of this.replacing.values()) el.remove(); // changed, and out of the window
    this.replacing.clear();
    // move nodes only where the order differs, so focus and selection inside survive
    let cursor = this.items.firstChild;
    for (const el of wanted) {
      if (el === cursor) cursor = cursor.nextSibling;
      else this.items.insertBefore(el, cursor);
    }
    this.topSpacer.style.height = `${this.offsets[start]}px`;
    this.bottomSpacer.style.height = `${this.offsets[n] - this.offsets[end]}px`;

    // Only rows new to the DOM (or whose height was forgotten) are measured: a shown row
    // keeps its height until it is rendered again (refreshRow) or the width changes
    // (the ResizeObserver forgets every height), and measuring forces a layout.
    let changed = false;
    for (const i of unmeasured) {
      const key = this.rows[i].key;
      const measured = this.rendered.get(key)?.getBoundingClientRect().height ?? 0;
      if (measured > 0 && Math.abs((this.heights.get(key) ?? -1) - measured) > 0.5) {
        this.heights.set(key, measured);
        changed = true;
      }
    }
    if (changed) {
      this.layout();
      this.topSpacer.style.height = `${this.offsets[start]}px`;
      this.bottomSpacer.style.height = `${this.offsets[n] - this.offsets[end]}px`;
    }
    return changed;
  }

  /** Elements currently in the DOM, for tests and debugging. */
  renderedCount() {
    return this.rendered.size;
  }
}
