// @ts-check
// Finds relay commands in what a terminal shows (docs/workers.md, "Agents speaking through their
// terminal"). It watches a headless xterm: TUIs that draw with cursor moves (Claude Code, Codex,
// Gemini CLI, Ink apps) and plain line output are read the same way, as rows on a screen.
//
// When lines are read (an "evaluation"): at the end of each write batch, just before each sequence
// that can revisit lines already drawn (so every line is seen in the redraw epoch it was drawn in),
// when many lines have scrolled since the last look (none is lost to the scrollback limit), and on
// a timer while a line waits to settle. What is read: the lines scrolled into the scrollback since
// the last evaluation (final: nothing can change them) and the visible rows (screen-lines.mjs turns
// into text only the rows that can hold a command).
//
// Cost: a batch with no `>` byte cannot create a command, so when no visible row shows a `>` and no
// line is waiting, nothing is read at all for that batch (a flood of plain output costs one indexOf).

import { commandStart, MAX_BLOCK_LINES, MAX_BODY_CHARS, MAX_LINE_CHARS, parseBlockStart, parseCommandLine } from './grammar.mjs';
import { createRepaintMemory } from './repaint-memory.mjs';
import { readCommandLines } from './screen-lines.mjs';

/** Earlier widths a program's rows may still be wrapped for after resizes (screen-lines.mjs). */
const RECENT_WIDTHS = 3;

/**
 * @typedef {import('./grammar.mjs').RelayCommand} RelayCommand
 * @typedef {import('./screen-lines.mjs').LogicalLine} LogicalLine
 * @typedef {import('@xterm/headless').Terminal} Terminal
 * @typedef {{ line: number, isDisposed: boolean, dispose(): void }} Marker
 * @typedef {{ addMarker(y: number): Marker }} InternalBuffer
 * @typedef {{ buffer: InternalBuffer, marker: Marker, key: string, cmd?: RelayCommand, epoch: number, since: number, seenAt: number, cursorOn: boolean }} Pending
 * @typedef {{ buffer: InternalBuffer, marker: Marker, key: string, span: number }} Judged
 */

export const SCREEN_DETECTOR_DEFAULTS = {
  /**
   * A visible line counts as complete once the cursor has left it and it stayed the same this long.
   * Claude Code only ever draws whole lines, so for it this is latency; it guards TUIs that draw a
   * line while the model is still streaming it and move the cursor away between tokens.
   */
  settleMs: 300,
  /** Lines scrolled off before the screen is read mid-batch (well under the 1000-line scrollback). */
  earlyScanLines: 256,
  /**
   * A multi-line message not closed with `>>>` within this long is not one: its lines are read as
   * ordinary lines from then on. Without it one unclosed block would swallow every later command
   * (Claude Code renders a `>>>` line outside a code fence as a markdown quote, i.e. not at all).
   */
  openBlockMs: 60_000,
};

const OPEN_BLOCK = '\0open-block';
const ABANDONED = '\0abandoned-block';

/**
 * @param {Terminal} term a headless terminal this detector alone writes to
 * @param {{
 *   onCommands: (commands: RelayCommand[]) => void,
 *   settleMs?: number, openBlockMs?: number, memoryMs?: number, fullRedrawWindowMs?: number, earlyScanLines?: number,
 *   now?: () => number,
 * }} options
 */
export function createScreenDetector(term, options) {
  const settleMs = options.settleMs ?? SCREEN_DETECTOR_DEFAULTS.settleMs;
  const openBlockMs = options.openBlockMs ?? SCREEN_DETECTOR_DEFAULTS.openBlockMs;
  const now = options.now ?? Date.now;
  const earlyScan = Math.min(options.earlyScanLines ?? SCREEN_DETECTOR_DEFAULTS.earlyScanLines, Math.max(1, Math.floor((term.options.scrollback ?? 1000) / 2)));
  const memory = createRepaintMemory(options);
  /** xterm's internal active buffer: its markers follow a line through scrolling, trimming and reflow (the public registerMarker refuses the alternate buffer). */
  const internal = () => /** @type {InternalBuffer} */ (/** @type {any} */ (term)._core.buffer);

  let epoch = 0;
  /** @type {number[]} the terminal's earlier widths, most recent first */
  let recentWidths = [];
  /** Batches written and not yet parsed: whether each holds a `>` byte. */
  const batches = /** @type {boolean[]} */ ([]);
  /** Whether the batch being parsed is read (see the file comment). */
  let reading = false;
  /** Some visible row showed a `>` at the last evaluation (or the screen changed wholesale since). */
  let hot = true;
  /**
   * Where reading resumes: a marker on the last row already read (rows below it scrolled since),
   * null for row 0 (there was no scrollback then), undefined while not reading (rows scrolled off
   * then hold no `>`, so none can be a command: reading resumes at the top of the screen).
   * @type {Marker | null | undefined}
   */
  let anchor;
  /** @type {{ dispose(): void } | undefined} */
  let scrollHook;
  /** @type {Map<Marker, Pending>} */
  const pending = new Map();
  /** @type {Map<Marker, Judged>} */
  const judged = new Map();
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  let disposed = false;

  const reanchor = () => {
    anchor?.dispose();
    const base = term.buffer.active.baseY;
    anchor = base > 0 ? internal().addMarker(base - 1) : null;
  };

  /** The first row not read yet (0 when the anchor is gone: the scrollback was cleared). */
  const firstUnread = () => {
    if (anchor === undefined) return term.buffer.active.baseY;
    if (anchor === null || anchor.isDisposed) return 0;
    return anchor.line + 1;
  };

  /** Decides whether the next batch is read; nothing at all is kept or hooked while it is not. */
  const chooseMode = () => {
    const read = (batches[0] ?? false) || hot || pending.size > 0;
    if (read === reading) return;
    reading = read;
    if (read) {
      reanchor();
      // A flood scrolls many lines per batch: read before the scrollback limit drops one.
      scrollHook = term.onScroll(() => {
        if (reading && term.buffer.active.baseY - firstUnread() >= earlyScan) evaluate();
      });
    } else {
      anchor?.dispose();
      anchor = undefined;
      scrollHook?.dispose();
      scrollHook = undefined;
    }
  };

  /**
   * @param {Marker} marker
   * @param {Map<Marker, any>} map
   */
  const forget = (marker, map) => {
    map.delete(marker);
    marker.dispose();
  };

  /** @param {{ force?: boolean, baseline?: boolean }} [how] */
  const evaluate = (how = {}) => {
    if (disposed) return;
    const buffer = internal();
    const view = term.buffer.active;
    const base = view.baseY;
    const cursorRow = base + view.cursorY;
    const t = now();
    let from = firstUnread();
    if (from > base) from = base;
    for (const p of pending.values()) if (p.buffer === buffer && !p.marker.isDisposed && p.marker.line < from) from = p.marker.line;
    const { lines, hasGt } = readCommandLines(term, from, base + term.rows - 1, opensBlock, recentWidths);

    /** @type {Map<number, Pending>} */
    const pendingAt = new Map();
    for (const [marker, p] of pending) {
      if (marker.isDisposed || p.buffer !== buffer) {
        if (marker.isDisposed) pending.delete(marker);
        continue;
      }
      pendingAt.set(marker.line, p);
    }
    /** @type {Map<number, Judged>} */
    const judgedAt = new Map();
    for (const [marker, j] of judged) {
      if (marker.isDisposed) judged.delete(marker);
      else if (j.buffer === buffer) judgedAt.set(marker.line, j);
    }
    /** @type {RelayCommand[]} */
    const out = [];
    const seenPending = new Set();

    /**
     * A command occupying rows [start, end]: act on it once it is complete and new.
     * @param {number} start @param {number} end @param {RelayCommand | undefined} cmd
     */
    const candidate = (start, end, cmd) => {
      const key = cmd ? JSON.stringify(cmd) : OPEN_BLOCK;
      const done = judgedAt.get(start);
      if (done && done.key === key) return;
      if (done) forget(done.marker, judged);
      let p = pendingAt.get(start);
      if (p && how.baseline) {
        // Still waiting to settle: a resize does not make it complete, nor seen.
        seenPending.add(p);
        return;
      }
      if (p && p.key !== key) {
        forget(p.marker, pending);
        p = undefined;
      }
      if (!p) {
        p = { buffer, marker: buffer.addMarker(start), key, cmd, epoch, since: t, seenAt: t, cursorOn: false };
        pending.set(p.marker, p);
      }
      seenPending.add(p);
      p.cursorOn = cursorRow >= start && cursorRow <= end;
      if (!cmd) return;
      if (how.baseline) {
        forget(p.marker, pending);
        const marker = buffer.addMarker(start);
        judged.set(marker, { buffer, marker, key, span: end - start + 1 });
        return;
      }
      const final = end < base;
      if (!(final || (!p.cursorOn && (how.force || t - p.since >= settleMs)))) return;
      forget(p.marker, pending);
      const marker = buffer.addMarker(start);
      judged.set(marker, { buffer, marker, key, span: end - start + 1 });
      if (memory.occurrence(key, p.epoch, p.seenAt, t)) out.push(cmd);
    };

    for (let i = 0; i < lines.length; i++) {
      const line = lines[i];
      const at = commandStart(line.text);
      if (at < 0 || line.text.length - at > MAX_LINE_CHARS) continue;
      const parsed = parseCommandLine(line.text.slice(at));
      if (!parsed) continue;
      if (parsed !== 'block-start') {
        candidate(line.start, line.end, parsed);
        continue;
      }
      if (judgedAt.get(line.start)?.key === ABANDONED) continue;
      const block = readBlock(lines, i, at);
      if (block === 'too-long') continue;
      if (block === 'open') {
        const waiting = pendingAt.get(line.start);
        if (waiting?.key === OPEN_BLOCK && t - waiting.since >= openBlockMs) {
          forget(waiting.marker, pending);
          const marker = buffer.addMarker(line.start);
          const entry = { buffer, marker, key: ABANDONED, span: line.end - line.start + 1 };
          judged.set(marker, entry);
          judgedAt.set(line.start, entry);
          continue;
        }
        // Everything below is the body of a block still being written.
        candidate(line.start, lines[lines.length - 1].end, undefined);
        break;
      }
      candidate(line.start, lines[block.end].end, block.cmd);
      i = block.end;
    }

    // Lines that no longer show what was waiting on them, and judged lines now in the scrollback
    // (never read again: only rows below the anchor are), are let go.
    for (const p of pending.values()) if (p.buffer === buffer && !seenPending.has(p) && p.marker.line >= from) forget(p.marker, pending);
    for (const j of judged.values()) if (j.buffer === buffer && j.marker.line + j.span - 1 < base) forget(j.marker, judged);
    hot = hasGt;
    if (reading) reanchor();
    else if (anchor) {
      anchor.dispose();
      anchor = undefined;
    }
    schedule();
    if (out.length > 0) options.onCommands(out);
  };

  /** Wake up when the oldest waiting line has settled (a line under the cursor waits for output). */
  const schedule = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    let due = Infinity;
    for (const p of pending.values()) {
      if (p.cmd && !p.cursorOn) due = Math.min(due, p.since + settleMs);
      else if (!p.cmd) due = Math.min(due, p.since + openBlockMs);
    }
    if (due === Infinity || disposed) return;
    timer = setTimeout(() => {
      timer = undefined;
      evaluate();
    }, Math.max(1, due - now()));
    /** @type {any} */ (timer).unref?.();
  };

  /**
   * @param {boolean} full whether the whole screen is being replaced (clear, reset, alternate screen)
   * @param {boolean} [vanishing] what the screen shows is about to be put away (switching between the
   *   normal and alternate screen, reset): complete lines are acted on now rather than after they
   *   settle, and in the order they were drawn.
   */
  const redraw = (full, vanishing = false) => {
    if (reading || vanishing) evaluate({ force: vanishing });
    epoch++;
    if (full) memory.fullRedraw(now());
    return false;
  };

  const p = term.parser;
  const hooks = [
    ...[...'AFHfdLMSTru'].map((final) => p.registerCsiHandler({ final }, () => redraw(false))),
    p.registerCsiHandler({ final: 'J' }, (params) => redraw(params[0] === 2 || params[0] === 3)),
    p.registerCsiHandler({ prefix: '?', final: 'J' }, (params) => redraw(params[0] === 2 || params[0] === 3)),
    ...['h', 'l'].map((final) =>
      p.registerCsiHandler({ prefix: '?', final }, (params) =>
        params.some((n) => n === 47 || n === 1047 || n === 1049) ? redraw(true, (final === 'l') === (term.buffer.active.type === 'alternate')) : false)),
    p.registerEscHandler({ final: 'M' }, () => redraw(false)),
    p.registerEscHandler({ final: '8' }, () => redraw(false)),
    p.registerEscHandler({ intermediates: '#', final: '8' }, () => redraw(true)),
    p.registerEscHandler({ final: 'c' }, () => redraw(true, true)),
    term.buffer.onBufferChange(() => {
      // The other buffer's rows were read before the switch (the hook above ran first); what it
      // shows now is what it showed then.
      evaluate({ baseline: true });
      hot = true;
    }),
  ];

  return {
    /**
     * Writes output to the terminal and reads what it shows.
     * @param {Uint8Array | string} data
     * @param {() => void} [callback] after `data` is parsed and read
     */
    write(data, callback) {
      // Buffer's indexOf is memchr; a Uint8Array's walks element by element (~2 ms/MiB).
      batches.push(typeof data === 'string' ? data.includes('>') : Buffer.from(data.buffer, data.byteOffset, data.byteLength).indexOf(0x3e) >= 0);
      if (batches.length === 1) chooseMode();
      term.write(data, () => {
        batches.shift();
        if (reading) evaluate();
        chooseMode();
        callback?.();
      });
    },
    /**
     * Resizes after everything written so far, then treats what the reflowed screen shows as seen:
     * a resize rewraps lines, it does not print them again. A program that reprints its screen on
     * resize (Claude Code does) draws in a new epoch, so its reprints are recognised as repaints.
     * @param {number} cols @param {number} rows @param {() => void} [callback]
     */
    resize(cols, rows, callback) {
      term.write('', () => {
        evaluate();
        if (cols !== term.cols) recentWidths = [term.cols, ...recentWidths.filter((w) => w !== term.cols && w !== cols)].slice(0, RECENT_WIDTHS);
        term.resize(cols, rows);
        epoch++;
        memory.fullRedraw(now());
        evaluate({ baseline: true });
        hot = true;
        chooseMode();
        callback?.();
      });
    },
    /**
     * After everything written so far, acts on every complete line without waiting for it to
     * settle (the program exited, or a test wants the result now).
     * @param {() => void} [callback]
     */
    flush(callback) {
      term.write('', () => {
        evaluate({ force: true });
        callback?.();
      });
    },
    /**
     * Whether a batch without a `>` byte, written now, would be read not at all (nothing written is
     * waiting to be parsed, no visible row shows `>`, no line waits): what screen-feed.mjs needs to
     * drop plain output unparsed.
     */
    cold() {
      return batches.length === 0 && !hot && pending.size === 0;
    },
    dispose() {
      disposed = true;
      if (timer) clearTimeout(timer);
      for (const h of hooks) h.dispose();
      scrollHook?.dispose();
      anchor?.dispose();
      for (const m of [...pending.keys(), ...judged.keys()]) m.dispose();
      pending.clear();
      judged.clear();
    },
  };
}

/** @param {string} text a logical line */
function opensBlock(text) {
  const at = commandStart(text);
  return at >= 0 && parseCommandLine(text.slice(at)) === 'block-start';
}

/**
 * The multi-line form: `->relay:<Target> <<<` on line i, body lines, `>>>`. Body lines lose the
 * indentation the start line had (a TUI indents the whole answer), nothing else.
 * @param {LogicalLine[]} lines
 * @param {number} i
 * @param {number} at column of `->relay` on the start line
 * @returns {{ end: number, cmd: RelayCommand } | 'open' | 'too-long'}
 */
function readBlock(lines, i, at) {
  const head = /** @type {{ to: string, thread?: string }} */ (parseBlockStart(lines[i].text.slice(at)));
  const body = [];
  let chars = 0;
  for (let j = i + 1; j < lines.length; j++) {
    const text = stripIndent(lines[j].text, at);
    if (text.trim() === '>>>') {
      return { end: j, cmd: { type: 'message', to: head.to, body: body.join('\n'), ...(head.thread ? { thread: head.thread } : {}) } };
    }
    body.push(text.trimEnd());
    chars += text.length + 1;
    if (chars > MAX_BODY_CHARS || body.length > MAX_BLOCK_LINES) return 'too-long';
  }
  return 'open';
}

/** @param {string} text @param {number} at */
function stripIndent(text, at) {
  const prefix = text.slice(0, at);
  return prefix.trim() === '' ? text.slice(at) : text;
}
