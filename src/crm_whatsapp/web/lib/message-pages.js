// @ts-check
// Which page of a chat's message list each message came from, so that one message can be
// listed again without reloading the chat: its file's signed link expired, or a live event
// says its file was fetched. The API pages by cursor (newest first), not by message, so the
// page that held the message is asked for again; the other messages on it merge unchanged.

/**
 * @typedef {import('./conversaciones-whatsapp.js').MessageOut} MessageOut
 * @typedef {import('./conversaciones-whatsapp.js').MessagePage} MessagePage
 */
/**
 * @typedef {object} MessagePagesOptions
 * @property {(cursor: string | null) => Promise<MessagePage>} fetchPage the open chat's page
 * @property {(items: MessageOut[], fresh: ReadonlySet<string>) => void} apply merge a page;
 *   `fresh` names the messages whose new links must replace the ones shown
 */

/** One message's link is asked for again at most this often (a file that stays broken). */
const AGAIN_MS = 30_000;

export class MessagePages {
  /** @param {MessagePagesOptions} options */
  constructor({ fetchPage, apply }) {
    this.fetchPage = fetchPage;
    this.apply = apply;
    /** @type {Map<string, string | null>} message id → the cursor of its page (null: newest) */
    this.cursors = new Map();
    /** @type {Map<string | null, Promise<MessageOut[]>>} pages being fetched, by cursor */
    this.inFlight = new Map();
    /** @type {Map<string, number>} when each message was last asked for again */
    this.asked = new Map();
    this.epoch = 0;
  }

  /** Another chat opened (or none): forget every page, drop answers still on the way. */
  forget() {
    this.epoch += 1;
    this.cursors.clear();
    this.inFlight.clear();
    this.asked.clear();
  }

  /**
   * The messages of a page just listed.
   * @param {readonly MessageOut[]} items
   * @param {string | null} cursor the cursor it was asked with (null for the newest page)
   */
  note(items, cursor) {
    for (const message of items) this.cursors.set(message.id, cursor);
  }

  /**
   * The cursor of a message's page: a string, null for the newest page, undefined when the
   * message was never listed here.
   * @param {string} messageId
   * @returns {string | null | undefined}
   */
  cursorOf(messageId) {
    return this.cursors.get(messageId);
  }

  /**
   * List the message's page again and merge it; resolves with the message's new state
   * (null if it is not on that page any more, or it was asked for too recently).
   * @param {string} messageId
   * @param {{ freshLink?: boolean }} [options] freshLink: its link is broken, take the new
   *   one (at most once per 30 s per message)
   * @returns {Promise<MessageOut | null>}
   */
  async again(messageId, { freshLink = false } = {}) {
    const cursor = this.cursors.get(messageId);
    if (cursor === undefined) return null;
    if (freshLink) {
      const last = this.asked.get(messageId) ?? -Infinity;
      if (Date.now() - last < AGAIN_MS) return null;
      this.asked.set(messageId, Date.now());
    }
    const epoch = this.epoch;
    let page = this.inFlight.get(cursor);
    if (!page) {
      page = this.fetchPage(cursor).then((answer) => answer.items);
      this.inFlight.set(cursor, page);
      page
        .finally(() => {
          if (this.inFlight.get(cursor) === page) this.inFlight.delete(cursor);
        })
        .catch(() => {});
    }
    const items = await page;
    if (epoch !== this.epoch) return null;
    this.note(items, cursor);
    this.apply(items, freshLink ? new Set([messageId]) : new Set());
    return items.find((message) => message.id === messageId) ?? null;
  }
}
