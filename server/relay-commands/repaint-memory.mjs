// @ts-check
// Once-only across redraws: decides whether a command line that just became complete on the
// screen is new (act on it) or a TUI drawing again what it drew before (ignore it).

import { createHash } from 'node:crypto';

/**
 * The rule (docs/workers.md, "Once-only across redraws"). Sequences that can revisit lines already
 * drawn (cursor up, positioning, erase display, scroll, alternate screen, reset, resize) advance a
 * redraw epoch. Each occurrence of a command carries the epoch in which it was drawn. Occurrences
 * of the same command drawn in one epoch are distinct copies (a deliberate resend in append-only
 * output is sent again); in a later epoch, the first copies drawn are repaints of the copies known
 * before (up to as many as were known), and only copies beyond that are new. A repaint counts
 * only within `memoryMs` of the command's last occurrence, except during a full redraw (resize,
 * clear screen, reset, alternate screen): TUIs such as Claude Code then reprint their whole
 * transcript, however old.
 *
 * Only a hash of each command is kept, so memory stays small however long the bodies are.
 */

export const REPAINT_DEFAULTS = {
  memoryMs: 10 * 60_000,
  /** How long after a full redraw reprinted commands are recognised whatever their age. */
  fullRedrawWindowMs: 5000,
  /** Distinct commands remembered (least recently seen forgotten first). */
  maxRemembered: 10_000,
};

/**
 * @param {{ memoryMs?: number, fullRedrawWindowMs?: number, maxRemembered?: number }} [options]
 */
export function createRepaintMemory(options = {}) {
  const memoryMs = options.memoryMs ?? REPAINT_DEFAULTS.memoryMs;
  const windowMs = options.fullRedrawWindowMs ?? REPAINT_DEFAULTS.fullRedrawWindowMs;
  const max = options.maxRemembered ?? REPAINT_DEFAULTS.maxRemembered;
  /** @type {Map<string, { epoch: number, copies: number, known: number, at: number }>} */
  const seen = new Map();
  let lastFullRedrawAt = -Infinity;

  return {
    /** A full redraw began now (resize, erase display, reset, alternate screen). @param {number} now */
    fullRedraw(now) {
      lastFullRedrawAt = now;
    },
    /**
     * Records one complete occurrence; true when it is new and must be acted on.
     * @param {string} key the command, serialized
     * @param {number} epoch the redraw epoch it was drawn in
     * @param {number} seenAt when it was first seen on the screen
     * @param {number} now
     */
    occurrence(key, epoch, seenAt, now) {
      const hash = createHash('sha1').update(key).digest('base64');
      let entry = seen.get(hash);
      const inFullRedraw = seenAt - lastFullRedrawAt <= windowMs;
      if (!entry) entry = { epoch, copies: 0, known: 0, at: now };
      const expired = now - entry.at > memoryMs && !inFullRedraw;
      if (entry.epoch !== epoch) {
        entry.epoch = epoch;
        entry.copies = 0;
      }
      entry.copies++;
      entry.at = now;
      // Forgotten by age, it is sent again; the earlier copies still count as known, so a later
      // full reprint of the screen (which shows them all) is still recognised.
      const fresh = entry.copies > entry.known || expired;
      if (fresh) entry.known = Math.max(entry.copies, entry.known + 1);
      seen.delete(hash);
      seen.set(hash, entry);
      if (seen.size > max) seen.delete(/** @type {string} */ (seen.keys().next().value));
      return fresh;
    },
  };
}
