// @ts-check
// What of a flood a headless screen does not need to parse (docs/workers.md, "Output and snapshots":
// plain floods). Parsing is the largest cost of output (~10 ms of CPU per MiB, xterm's own rate), yet
// the screen only keeps the last `scrollback + rows` rows. A stretch of *plain* output — printable
// ASCII, tab, CR and LF — changes no mode, attribute, charset, tab stop or scroll region: only rows,
// the cursor and the last printed character. So when such a stretch goes on for more than
// `scrollback + 2 * rows` more line feeds after one of its carriage returns, every row it drew before
// that carriage return is trimmed from the buffer whether or not it was parsed, and the cursor is at
// column 0 either way there: the bytes before it are dropped unparsed and the screen ends up exactly
// as if they had been (test/spawn/screen-feed.test.ts compares the serialized screens byte for byte).
//
// Held back, then: plain batches without `>` wait here (at most HOLD_MS after the last one, or until
// anything else needs the screen: other output, a resize, a snapshot, a text read, a flush) so that
// enough lines gather to drop the older ones. Dropping also needs the state at the start of the held
// bytes to be one where plain bytes are plain: the parser in its ground state (not inside an escape
// sequence or an OSC/DCS string, no partial UTF-8 character), the normal buffer with a full-screen
// scroll region (so every line feed at the bottom moves a row into the scrollback), and no relay
// command detection under way (the detector reads nothing of a `>`-free batch while no visible row
// shows `>` and no line waits: screen-detector.mjs `cold()`).

/**
 * Held plain output is written to the terminal this long after the last batch arrived. Nothing reads
 * the screen without first having it written (every other request does), so this only bounds how
 * long a quiet screen holds bytes; long enough that the bursts of a flood held back by a slow viewer
 * (tens of ms apart) count as one stretch, whose older lines are dropped rather than parsed.
 */
const HOLD_MS = 250;
/** Held bytes beyond this (a stretch with too few line feeds to drop) are written at once. */
const HOLD_MAX_BYTES = 1024 * 1024;
const CR = 0x0d;
const LF = 0x0a;

/** 0: not plain; 1: plain. Printable ASCII without `>` (a relay command's marker), tab, LF, CR. */
const PLAIN = new Uint8Array(256);
for (let b = 0x20; b < 0x7f; b++) PLAIN[b] = 1;
PLAIN[0x3e] = 0;
PLAIN[0x09] = 1;
PLAIN[LF] = 1;
PLAIN[CR] = 1;

/**
 * The number of line feeds in `data` if it is plain, else -1. Four bytes at a time: a word with no
 * byte >= 0x80, < 0x20, 0x7f or `>` (the usual bit tricks, exact as yes/no) is plain and has no line
 * feed; only words that may hold one of those are looked at byte by byte (half the time of a byte
 * loop, ~1 ms/MiB).
 * @param {Uint8Array} data
 */
function plainLineFeeds(data) {
  const table = PLAIN;
  const n4 = data.byteOffset % 4 === 0 ? data.length >>> 2 : 0;
  const words = new Int32Array(data.buffer, data.byteOffset, n4);
  let lf = 0;
  for (let i = 0; i < n4; i++) {
    const w = words[i];
    const gt = w ^ 0x3e3e3e3e;
    const del = w ^ 0x7f7f7f7f;
    if (((w | ((w - 0x20202020) & ~w) | ((gt - 0x01010101) & ~gt) | ((del - 0x01010101) & ~del)) & 0x80808080) === 0) continue;
    for (let k = i * 4; k < i * 4 + 4; k++) {
      const c = data[k];
      if (table[c] === 0) return -1;
      if (c === LF) lf++;
    }
  }
  for (let k = n4 * 4; k < data.length; k++) {
    const c = data[k];
    if (table[c] === 0) return -1;
    if (c === LF) lf++;
  }
  return lf;
}

/** @param {Uint8Array} data */
const asBuffer = (data) => Buffer.from(data.buffer, data.byteOffset, data.byteLength);

/**
 * @param {import('@xterm/headless').Terminal} term
 * @param {{
 *   write: (data: Uint8Array, callback: () => void) => void,
 *   cold?: () => boolean,
 *   onParsed: (bytes: number) => void,
 *   holdMs?: number,
 * }} options `write` hands data to the terminal (through the detector when there is one); `cold` says
 *   whether relay-command detection would read nothing of a `>`-free batch; `onParsed` reports bytes
 *   parsed or dropped, in order.
 */
export function createScreenFeed(term, options) {
  const holdMs = options.holdMs ?? HOLD_MS;
  /** xterm internals read at the start of held output: parser state, UTF-8 decoder, scroll region. */
  const core = /** @type {any} */ (term)._core;
  /** @type {Buffer[]} plain batches not written yet */
  let held = [];
  /** @type {number[]} how many line feeds each held batch has */
  let lineFeeds = [];
  let heldBytes = 0;
  /** Whether the terminal's state where `held` starts lets plain bytes be dropped (checked once parsed up to there). */
  let droppable = false;
  /** Bumped whenever `held` is written out, so a state check issued for older held output is ignored. */
  let generation = 0;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  let disposed = false;

  const stateAllowsDrop = () => {
    const buffer = core.buffer;
    return core._inputHandler._parser.currentState === 0 && core._inputHandler._utf8Decoder.interim[0] === 0
      && term.buffer.active.type === 'normal' && buffer.scrollTop === 0 && buffer.scrollBottom === term.rows - 1
      && (options.cold?.() ?? true);
  };

  /** Lines that must follow the carriage return output is dropped before (see the file comment). */
  const linesNeeded = () => (term.options.scrollback ?? 1000) + 2 * term.rows + 8;

  /**
   * Drops held bytes up to a carriage return followed by enough line feeds (and something printed,
   * so the last printed character is the same).
   */
  const drop = () => {
    if (!droppable) return;
    // The latest batch with enough line feeds after it, then its last carriage return (or an
    // earlier batch's): at least that many line feeds follow the cut.
    const need = linesNeeded();
    let after = 0;
    let i = held.length - 1;
    while (i >= 0 && after < need) after += lineFeeds[i--];
    if (after < need) return;
    let cr = -1;
    for (; i >= 0 && cr < 0; i--) cr = held[i].lastIndexOf(CR);
    if (cr < 0) return;
    i++;
    if (!printsAfter(i, cr)) return;
    let dropped = cr;
    for (let j = 0; j < i; j++) dropped += held[j].length;
    if (dropped === 0) return;
    const rest = held[i].subarray(cr);
    // The kept part of batch i: its line feeds are those after the cut.
    let restLf = 0;
    for (let at = rest.indexOf(LF); at >= 0; at = rest.indexOf(LF, at + 1)) restLf++;
    held = [rest, ...held.slice(i + 1)];
    lineFeeds = [restLf, ...lineFeeds.slice(i + 1)];
    heldBytes -= dropped;
    options.onParsed(dropped);
  };

  /**
   * Whether a character is printed after held[i][at] (so the last printed character is the same).
   * @param {number} i @param {number} at
   */
  const printsAfter = (i, at) => {
    for (let j = held.length - 1; j >= i; j--) {
      const b = held[j];
      for (let k = b.length - 1; k >= (j === i ? at : 0); k--) if (b[k] >= 0x20) return true;
    }
    return false;
  };

  /** Writes what is held to the terminal. */
  const release = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    generation++;
    droppable = false;
    if (held.length === 0) return;
    const batches = held;
    held = [];
    lineFeeds = [];
    heldBytes = 0;
    for (const b of batches) options.write(b, () => options.onParsed(b.length));
  };

  return {
    /** Output, in order. @param {Uint8Array} data */
    push(data) {
      if (disposed) return;
      const lf = plainLineFeeds(data);
      if (lf < 0) {
        release();
        options.write(data, () => options.onParsed(data.length));
        return;
      }
      const buf = asBuffer(data);
      if (held.length === 0) {
        const mine = generation;
        // Once everything before the held bytes is parsed, the state they start in is known and fixed
        // (nothing is written to the terminal while output is held).
        term.write('', () => {
          if (mine !== generation || disposed) return;
          droppable = stateAllowsDrop();
          drop();
        });
      }
      held.push(buf);
      lineFeeds.push(lf);
      heldBytes += buf.length;
      drop();
      if (heldBytes > HOLD_MAX_BYTES) {
        release();
        return;
      }
      if (timer) clearTimeout(timer);
      timer = setTimeout(release, holdMs);
      /** @type {any} */ (timer).unref?.();
    },
    /** Writes what is held: before anything else that needs the terminal in order with its output. */
    release,
    dispose() {
      disposed = true;
      if (timer) clearTimeout(timer);
      held = [];
      lineFeeds = [];
    },
  };
}
