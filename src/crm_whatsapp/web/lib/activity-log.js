// @ts-check
// A chat's activity log (what the team did: take-overs, assignments, status changes, links,
// private notes), kept beside its messages. The API pages it newest first by cursor, like
// the messages, so the chat asks for its pages alongside theirs: the newest page with the
// newest messages, older pages until the log reaches back as far as the messages loaded.
// There is no endpoint for one entry: a live `activity_recorded` event fetches the newest
// page again, and entries merge by id.

/**
 * @typedef {import('./conversaciones-whatsapp.js').ActivityOut} ActivityOut
 * @typedef {import('./conversaciones-whatsapp.js').ActivityPage} ActivityPage
 */
/**
 * @typedef {object} ActivityLogOptions
 * @property {(cursor: string | null) => Promise<ActivityPage>} fetchPage the open chat's page
 */

/**
 * An entry's time in ms (0 when unreadable).
 * @param {ActivityOut} entry
 */
export function entryTime(entry) {
  return Date.parse(entry.at) || 0;
}

export class ActivityLog {
  /** @param {ActivityLogOptions} options */
  constructor({ fetchPage }) {
    this.fetchPage = fetchPage;
    /** @type {Map<string, ActivityOut>} by id */
    this.entries = new Map();
    /** @type {string | null} the cursor of the next older page (null: no older page) */
    this.nextCursor = null;
    /** whether the newest page has been read since the chat opened */
    this.started = false;
    this.epoch = 0;
    /** @type {Promise<ActivityOut[]> | null} */
    this.refreshing = null;
    this.refreshAgain = false;
    /** @type {Promise<void> | null} */
    this.reaching = null;
  }

  /** Another chat opened (or none): forget the entries, drop answers still on the way. */
  forget() {
    this.epoch += 1;
    this.entries.clear();
    this.nextCursor = null;
    this.started = false;
    this.refreshing = null;
    this.refreshAgain = false;
    this.reaching = null;
  }

  /**
   * Add or update entries by id; an entry object is replaced only when it changed (so an
   * unchanged row is not drawn again). Returns the entries not seen before.
   * @param {readonly ActivityOut[]} items
   * @returns {ActivityOut[]}
   */
  merge(items) {
    /** @type {ActivityOut[]} */
    const fresh = [];
    for (const entry of items) {
      const old = this.entries.get(entry.id);
      if (!old) fresh.push(entry);
      if (old && JSON.stringify(old) === JSON.stringify(entry)) continue;
      this.entries.set(entry.id, entry);
    }
    return fresh;
  }

  /**
   * Fetch the newest page and merge it (coalesced: one request in flight, one more after
   * it when asked meanwhile). Resolves with the entries not seen before.
   * @returns {Promise<ActivityOut[]>}
   */
  refresh() {
    if (this.refreshing) {
      this.refreshAgain = true;
      return this.refreshing;
    }
    const epoch = this.epoch;
    const run = async () => {
      /** @type {ActivityOut[]} */
      const fresh = [];
      do {
        this.refreshAgain = false;
        const page = await this.fetchPage(null);
        if (epoch !== this.epoch) return [];
        fresh.push(...this.merge(page.items));
        if (!this.started) {
          this.started = true;
          this.nextCursor = page.next_cursor;
        }
      } while (this.refreshAgain && epoch === this.epoch);
      return fresh;
    };
    const promise = run().finally(() => {
      if (this.refreshing === promise) this.refreshing = null;
    });
    this.refreshing = promise;
    return promise;
  }

  /** The oldest entry's time in ms, or Infinity when there is none. */
  oldest() {
    let oldest = Infinity;
    for (const entry of this.entries.values()) oldest = Math.min(oldest, entryTime(entry));
    return oldest;
  }

  /**
   * Read older pages until the log reaches back to `since` (ms), or to its start when
   * `since` is null. One walk at a time; a second call waits for it and walks on.
   * @param {number | null} since
   * @returns {Promise<void>}
   */
  async reachBack(since) {
    while (this.reaching) await this.reaching;
    if (!this.started) return; // the newest page comes first (refresh)
    const epoch = this.epoch;
    const walk = async () => {
      while (this.nextCursor && (since === null || this.oldest() > since)) {
        const page = await this.fetchPage(this.nextCursor);
        if (epoch !== this.epoch) return;
        this.merge(page.items);
        this.nextCursor = page.next_cursor;
      }
    };
    const promise = walk().finally(() => {
      if (this.reaching === promise) this.reaching = null;
    });
    this.reaching = promise;
    return promise;
  }

  /**
   * The entries at or after `since` (ms; null: all), in no particular order. Older entries
   * wait until the messages of their time are loaded, so that none shows out of place.
   * @param {number | null} since
   * @returns {ActivityOut[]}
   */
  visible(since) {
    const all = Array.from(this.entries.values());
    return since === null ? all : all.filter((entry) => entryTime(entry) >= since);
  }
}
