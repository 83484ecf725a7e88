// @ts-check
// Reads the lines a person sees on a headless xterm screen: rows joined into logical lines where
// the terminal wrapped them (xterm's `isWrapped`) or where the program word-wrapped them itself
// (TUIs such as Claude Code break long lines with cursor moves and indent the continuation). A
// program may show rows it wrapped for an earlier width for a while after a resize (Codex draws its
// history in the old layout until it next reflows it), so the widths the terminal had recently count too.
//
// Only what can hold a command is read: a row is turned into text only if it shows `->r` (found by
// walking its cells, three times cheaper than translating the row), and then with the rows around
// it that belong to the same logical line; after the start of a multi-line message, every line up
// to its end. Output full of `>` (code, logs) costs a cell scan per row, not a string per row.

/**
 * @typedef {import('@xterm/headless').Terminal} Terminal
 * @typedef {import('@xterm/headless').IBufferLine} IBufferLine
 * @typedef {import('@xterm/headless').IBufferCell} IBufferCell
 * @typedef {{ start: number, end: number, text: string }} LogicalLine
 *   `start`/`end`: absolute buffer rows (inclusive); `text`: what the rows read, trailing spaces trimmed.
 */

/** How far a logical line is followed up or down from a row that holds a command. */
const MAX_ROWS_PER_LINE = 512;
/** Leading decoration: spaces, then bullet-like tokens (`●`, `-`, `│`) each followed by a space. */
const TEXT_START = /^ *(?:[^\sA-Za-z0-9]{1,3} +)*/;
const GT = 0x3e;
const DASH = 0x2d;
const R = 0x72;
/** xterm keeps a cell's code point in the low 21 bits of its first word (buffer/Constants.ts). */
const CODEPOINT_MASK = 0x1fffff;

/**
 * The logical lines in absolute rows [from, to] of the active buffer that can matter for commands:
 * each line with a row that shows `->r` (read whole, even where it starts above `from`), and after a
 * line `opensBlock` accepts, every logical line to the end of the block (`>>>`) or of the range.
 * Lines come in screen order; lines after a block start are contiguous.
 * @param {Terminal} term
 * @param {number} from
 * @param {number} to
 * @param {(text: string) => boolean} opensBlock
 * @param {number[]} [widths] the terminal's recent widths (columns) besides the current one
 * @returns {{ lines: LogicalLine[], hasGt: boolean }} hasGt: some visible row shows a `>`.
 */
export function readCommandLines(term, from, to, opensBlock, widths = []) {
  const reader = rowReader(term, widths);
  const viewportTop = term.buffer.active.baseY;
  /** @type {LogicalLine[]} */
  const lines = [];
  let hasGt = false;
  let next = Math.max(0, from);
  for (let y = next; y <= to; y++) {
    const scan = reader.scan(y);
    if (scan === undefined) break;
    if (scan !== NONE && y >= viewportTop) hasGt = true;
    if (y < next || scan !== ARROW) continue;
    // The whole logical line this row belongs to; the first may have begun above `from`.
    const floor = lines.length === 0 ? 0 : next;
    let start = y;
    for (let k = 0; k < MAX_ROWS_PER_LINE && start > floor && reader.continues(start - 1, start); k++) start--;
    let line = reader.logical(start, to);
    if (!line.text.includes('->relay')) continue;
    lines.push(line);
    next = line.end + 1;
    if (!opensBlock(line.text)) continue;
    while (next <= to) {
      line = reader.logical(next, to);
      lines.push(line);
      next = line.end + 1;
      if (line.text.trim() === '>>>') break;
    }
  }
  return { lines, hasGt };
}

const NONE = 0;
const GT_ONLY = 1;
const ARROW = 2;

/** @param {Terminal} term @param {number[]} widths */
function rowReader(term, widths) {
  const buffer = term.buffer.active;
  /** xterm's own line list of the active buffer (see scan). */
  const internalLines = /** @type {{ get(y: number): any } | undefined} */ (/** @type {any} */ (term)._core?.buffer?.lines);
  const cols = term.cols;
  /** @type {Map<number, string>} */
  const texts = new Map();
  /** @type {IBufferCell | undefined} */
  let cell;

  /** Untrimmed text of row y. @param {number} y */
  const text = (y) => {
    let t = texts.get(y);
    if (t === undefined) {
      t = buffer.getLine(y)?.translateToString(false) ?? '';
      texts.set(y, t);
    }
    return t;
  };

  /**
   * NONE, GT_ONLY (a `>`), ARROW (`->r`, also across the wrap from the row above), or undefined past
   * the end of the buffer. @param {number} y
   */
  const scan = (y) => {
    const fast = internalLines?.get(y);
    if (fast && fast._data instanceof Uint32Array && typeof fast.length === 'number') {
      // Straight from xterm's cell array (3 words per cell, the code point in the low 21 bits of the
      // first): the public getCell costs about three times more per cell, and a flood full of `>`
      // has every row scanned. Cells never written are all-zero: skipped from the end first (xterm's
      // getTrimmedLength checks more per cell and costs more than the scan itself).
      const data = fast._data;
      let n = Math.min(fast.length, Math.floor(data.length / 3));
      while (n > 0 && data[(n - 1) * 3] === 0) n--;
      let found = NONE;
      let p1 = 0;
      let p2 = 0;
      if (fast.isWrapped && y > 0) [p2, p1] = tail(y - 1);
      for (let x = 0; x < n; x++) {
        const code = data[x * 3] & CODEPOINT_MASK;
        if (code === GT) found = GT_ONLY;
        else if (code === R && p1 === GT && p2 === DASH) return ARROW;
        p2 = p1;
        p1 = code;
      }
      return found;
    }
    const line = buffer.getLine(y);
    if (!line) return undefined;
    let found = NONE;
    let p1 = 0;
    let p2 = 0;
    if (line.isWrapped && y > 0) [p2, p1] = tail(y - 1);
    for (let x = 0; x < cols; x++) {
      const code = (cell = line.getCell(x, cell))?.getCode() ?? 0;
      if (code === GT) found = GT_ONLY;
      else if (code === R && p1 === GT && p2 === DASH) return ARROW;
      p2 = p1;
      p1 = code;
    }
    return found;
  };

  /** Code points of the last two cells of row y (a wrapped row below continues them). @param {number} y */
  const tail = (y) => {
    const line = buffer.getLine(y);
    if (!line) return [0, 0];
    return [(cell = line.getCell(cols - 2, cell))?.getCode() ?? 0, (cell = line.getCell(cols - 1, cell))?.getCode() ?? 0];
  };

  /** Row y continues the logical line of row y - 1 (`prev`). @param {number} prev @param {number} y */
  const continues = (prev, y) => {
    const line = buffer.getLine(y);
    if (!line) return false;
    if (line.isWrapped) return true;
    return appWrapped(prev, textStart(text(prev)), y);
  };

  /**
   * A word-wrapped continuation, as a greedy wrapper (Ink's, Claude Code's) makes one: the row is
   * indented exactly to where the line's text started, and its first word would not have fitted at
   * the end of the previous row. A row whose first word would have fitted was broken on purpose (a
   * new line of the message), so it stays a line of its own. "Would not have fitted" holds for the
   * current width or one the terminal had recently (the row must then fit within that width).
   * @param {number} prev @param {number} start column where the logical line's text starts @param {number} y
   */
  const appWrapped = (prev, start, y) => {
    if (start === 0) return false;
    const raw = text(y);
    let indent = 0;
    while (indent < raw.length && raw.charCodeAt(indent) === 0x20) indent++;
    if (indent !== start || indent >= raw.length) return false;
    const prevRaw = text(prev);
    // One character per cell (no wide or combining characters): the string gives the widths.
    const used = prevRaw.length === cols ? prevRaw.trimEnd().length : cellLength(/** @type {IBufferLine} */ (buffer.getLine(prev)));
    if (used === 0) return false;
    let word = raw.indexOf(' ', indent);
    if (word < 0) word = raw.length;
    const wordCells = raw.length === cols ? word - indent : firstWordCells(/** @type {IBufferLine} */ (buffer.getLine(y)), indent);
    if (used + 1 + wordCells > cols) return true;
    return widths.some((w) => w < cols && used <= w && indent + wordCells <= w && used + 1 + wordCells > w);
  };

  /** Cells up to and including the last non-blank one. @param {IBufferLine} line */
  const cellLength = (line) => {
    for (let x = cols - 1; x >= 0; x--) {
      cell = line.getCell(x, cell);
      if (!cell) continue;
      const chars = cell.getChars();
      if (chars !== '' && chars !== ' ') return x + Math.max(1, cell.getWidth());
    }
    return 0;
  };

  /** Width in cells of the word starting at column x. @param {IBufferLine} line @param {number} x */
  const firstWordCells = (line, x) => {
    let end = x;
    while (end < cols) {
      cell = line.getCell(end, cell);
      if (!cell) break;
      const chars = cell.getChars();
      if (cell.getWidth() !== 0 && (chars === '' || chars === ' ')) break;
      end++;
    }
    return end - x;
  };

  /** The logical line starting at row `start`, followed down at most to `to`. @param {number} start @param {number} to */
  const logical = (start, to) => {
    let joined = text(start);
    const lineStart = textStart(joined);
    let end = start;
    for (let k = 0; k < MAX_ROWS_PER_LINE && end < to; k++) {
      const line = buffer.getLine(end + 1);
      if (!line) break;
      if (line.isWrapped) joined += text(end + 1);
      else if (appWrapped(end, lineStart, end + 1)) joined = `${joined.trimEnd()} ${text(end + 1).trim()}`;
      else break;
      end++;
    }
    return { start, end, text: joined.trimEnd() };
  };

  return { scan, continues, logical };
}

/** The column where a row's text starts, after its indentation and bullets. @param {string} raw */
export function textStart(raw) {
  const m = TEXT_START.exec(raw);
  const n = m ? m[0].length : 0;
  return n >= raw.trimEnd().length ? 0 : n;
}
