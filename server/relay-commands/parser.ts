import { StringDecoder } from 'node:string_decoder';
import { MAX_BODY_BYTES } from '../../lib/protocol';

/**
 * Finds relay commands in a terminal's raw output (protocol.md, "Agents speaking through their
 * terminal"). Shared by SpawnManager workers and the `agent-relay run` wrapper.
 *
 * The output is modelled as a single current line with a cursor column: printable text overwrites
 * at the cursor, `\r` returns to column 0, `\b` steps back, and ANSI sequences are dropped. A line
 * is judged only when it ends with `\n`, so a command redrawn in place (spinners, `\r` repaints)
 * is seen once, in its final form.
 *
 * Once-only across redraws (see docs/workers.md): sequences that revisit earlier lines (cursor up,
 * absolute positioning, erase display, reverse index, alternate screen, reset) advance a "redraw
 * epoch". A command identical to one seen before is treated as a repaint, and suppressed, when a
 * redraw happened since that earlier occurrence; an identical command printed again in plain
 * append-only output (no redraw in between) is a deliberate resend and is emitted.
 */

export type RelayCommand =
  | { type: 'message'; to: string; body: string; thread?: string }
  | { type: 'spawn'; name: string; cli: string; task: string }
  | { type: 'release'; name: string }
  | { type: 'relay-file'; id: string };

export interface RelayCommandParserOptions {
  /** How long a command is remembered for redraw de-duplication. */
  redrawMemoryMs?: number;
  /** Clock, for tests. */
  now?: () => number;
}

export interface RelayCommandParser {
  /** Feed raw output; returns the commands completed by this chunk, in order. */
  feed(chunk: Buffer | string): RelayCommand[];
}

/** Lines longer than this cannot be commands we accept; they are skipped without being kept. */
const MAX_LINE_CHARS = MAX_BODY_BYTES + 1024;
const MAX_BLOCK_LINES = 10_000;
/** Remembered commands (LRU) for redraw de-duplication. */
const MAX_REMEMBERED = 512;
const DEFAULT_REDRAW_MEMORY_MS = 10 * 60_000;

const NAME = '[A-Za-z_][A-Za-z0-9._-]{0,63}';
const TARGET = `(\\*|@users|${NAME})`;
const THREAD = '(?:\\s+\\[thread:([^\\]\\s]{1,256})\\])?';
const INLINE_RE = new RegExp(`^->relay:${TARGET}${THREAD}\\s+(.*\\S)$`);
const BLOCK_START_RE = new RegExp(`^->relay:${TARGET}${THREAD}\\s+<<<$`);
const SPAWN_RE = new RegExp(`^->relay:spawn\\s+(${NAME})\\s+(\\S+)(?:\\s+(.*))?$`);
const RELEASE_RE = new RegExp(`^->relay:release\\s+(${NAME})$`);
const FILE_RE = /^->relay-file:([A-Za-z0-9._-]{1,128})$/;

type EscState = 'text' | 'esc' | 'csi' | 'string' | 'string-esc' | 'charset';

export function createRelayCommandParser(options: RelayCommandParserOptions = {}): RelayCommandParser {
  const now = options.now ?? Date.now;
  const memoryMs = options.redrawMemoryMs ?? DEFAULT_REDRAW_MEMORY_MS;
  const decoder = new StringDecoder('utf8');

  let line = '';
  let col = 0;
  let overflow = false;
  let esc: EscState = 'text';
  let csiParams = '';
  let redrawEpoch = 0;
  let block: { to: string; thread?: string; lines: string[]; chars: number } | undefined;
  const seen = new Map<string, { epoch: number; at: number }>();

  const put = (text: string): void => {
    if (overflow) return;
    if (col === line.length) line += text;
    else line = line.slice(0, col) + text + line.slice(col + text.length);
    col += text.length;
    if (line.length > MAX_LINE_CHARS) {
      overflow = true;
      line = '';
      col = 0;
    }
  };

  const endCsi = (final: string): void => {
    // Sequences that can revisit lines already printed: a repaint may follow.
    if ('ABEFHfdJ'.includes(final) || (final === 'h' && /^\?(1049|47|1047)/.test(csiParams))) redrawEpoch++;
    if (final === 'K') {
      if (csiParams === '2' || col === 0) line = '';
      else if (csiParams === '' || csiParams === '0') line = line.slice(0, col);
    }
    if (final === 'G' || final === '`') col = Math.min(line.length, Math.max(0, (parseInt(csiParams, 10) || 1) - 1));
    else if (final === 'C') {
      const n = parseInt(csiParams, 10) || 1;
      if (col + n > line.length) line = line.padEnd(col + n, ' ');
      col += n;
    } else if (final === 'D') col = Math.max(0, col - (parseInt(csiParams, 10) || 1));
  };

  const isDuplicateRedraw = (key: string): boolean => {
    const at = now();
    const prev = seen.get(key);
    seen.delete(key);
    seen.set(key, { epoch: redrawEpoch, at });
    if (seen.size > MAX_REMEMBERED) seen.delete(seen.keys().next().value as string);
    return prev !== undefined && at - prev.at <= memoryMs && prev.epoch !== redrawEpoch;
  };

  const judgeLine = (raw: string, out: RelayCommand[]): void => {
    const text = raw.trimEnd();
    if (block) {
      if (text.trim() === '>>>') {
        const body = block.lines.join('\n');
        const cmd: RelayCommand = { type: 'message', to: block.to, body, ...(block.thread ? { thread: block.thread } : {}) };
        block = undefined;
        if (!isDuplicateRedraw(JSON.stringify(cmd))) out.push(cmd);
        return;
      }
      block.lines.push(raw.trimEnd());
      block.chars += raw.length + 1;
      if (block.chars > MAX_BODY_BYTES || block.lines.length > MAX_BLOCK_LINES) block = undefined;
      return;
    }
    const at = text.indexOf('->relay');
    if (at < 0) return;
    // On a line of its own: only decoration (bullets, prompts, box lines, spaces) may precede it.
    if (/[\p{L}\p{N}]/u.test(text.slice(0, at))) return;
    const cmdText = text.slice(at);
    const cmd = parseCommandLine(cmdText);
    if (cmd === 'block-start') {
      const m = BLOCK_START_RE.exec(cmdText)!;
      block = { to: m[1], thread: m[2], lines: [], chars: 0 };
      return;
    }
    if (cmd && !isDuplicateRedraw(JSON.stringify(cmd))) out.push(cmd);
  };

  const feedText = (s: string, out: RelayCommand[]): void => {
    let i = 0;
    const n = s.length;
    while (i < n) {
      if (esc === 'text') {
        // Fast path: copy a run of printable characters at once.
        let j = i;
        while (j < n) {
          const c = s.charCodeAt(j);
          if (c < 0x20 || c === 0x7f || (c >= 0x80 && c < 0xa0)) break;
          j++;
        }
        if (j > i) {
          put(s.slice(i, j));
          i = j;
          continue;
        }
        const c = s.charCodeAt(i++);
        if (c === 0x0a) {
          if (!overflow) judgeLine(line, out);
          line = '';
          col = 0;
          overflow = false;
        } else if (c === 0x0d) col = 0;
        else if (c === 0x08) col = Math.max(0, col - 1);
        else if (c === 0x09) put(' '.repeat(8 - (col % 8)));
        else if (c === 0x1b) esc = 'esc';
        else if (c === 0x9b) (esc = 'csi'), (csiParams = '');
        else if (c === 0x9d || c === 0x90) esc = 'string';
        continue;
      }
      const ch = s[i++];
      if (esc === 'esc') {
        if (ch === '[') (esc = 'csi'), (csiParams = '');
        else if (ch === ']' || ch === 'P' || ch === '_' || ch === '^' || ch === 'X') esc = 'string';
        else if (ch === '(' || ch === ')' || ch === '*' || ch === '+' || ch === '#' || ch === '%') esc = 'charset';
        else {
          if (ch === 'M' || ch === 'c') redrawEpoch++;
          esc = 'text';
        }
      } else if (esc === 'csi') {
        const c = ch.charCodeAt(0);
        if (c >= 0x40 && c <= 0x7e) {
          endCsi(ch);
          esc = 'text';
        } else if (csiParams.length < 64) csiParams += ch;
      } else if (esc === 'charset') esc = 'text';
      else if (esc === 'string') {
        if (ch === '\x07' || ch === '\x9c') esc = 'text';
        else if (ch === '\x1b') esc = 'string-esc';
      } else if (esc === 'string-esc') esc = ch === '\\' ? 'text' : 'string';
    }
  };

  const feedBytes = (chunk: Buffer, out: RelayCommand[]): void => {
    feedText(decoder.write(chunk), out);
  };

  return {
    feed(chunk) {
      const out: RelayCommand[] = [];
      if (typeof chunk === 'string') {
        feedText(chunk, out);
        return out;
      }
      // Fast path (a flood of plain output): whole lines that cannot hold a command and cannot change
      // the parser's state are skipped without being decoded. The first line of the chunk continues
      // the current one and the last is unfinished, so both always go through feedText; so does
      // everything while a multi-line block is open or a sequence is unfinished.
      const first = chunk.indexOf(0x0a);
      const last = first < 0 ? -1 : chunk.lastIndexOf(0x0a);
      if (first < 0 || first === last || block || esc !== 'text') {
        feedBytes(chunk, out);
        return out;
      }
      feedBytes(chunk.subarray(0, first + 1), out);
      const middle = chunk.subarray(first + 1, last + 1);
      if (!block && esc === 'text' && !line.includes('>') && plainLines(middle)) {
        // Same end state as parsing them: the decoder is clean after a '\n' byte, and the last '\n'
        // ended a line in text state.
        line = '';
        col = 0;
        overflow = false;
      } else feedBytes(middle, out);
      feedBytes(chunk.subarray(last + 1), out);
      return out;
    },
  };
}

/**
 * True when `bytes` (whole lines) hold nothing the parser reacts to beyond text and line ends: no
 * `>` (every command contains "->relay", and overwriting in place cannot create a `>`), no ESC, and
 * no 0xC2 byte (the UTF-8 lead byte of the C1 controls U+0080-U+009F, which start sequences too).
 */
function plainLines(bytes: Buffer): boolean {
  return bytes.indexOf(0x3e) < 0 && bytes.indexOf(0x1b) < 0 && bytes.indexOf(0xc2) < 0;
}

/** Parses one command line (already stripped of ANSI and leading decoration). */
export function parseCommandLine(text: string): RelayCommand | 'block-start' | undefined {
  let m = FILE_RE.exec(text);
  if (m) return { type: 'relay-file', id: m[1] };
  m = RELEASE_RE.exec(text);
  if (m) return { type: 'release', name: m[1] };
  m = SPAWN_RE.exec(text);
  if (m) return { type: 'spawn', name: m[1], cli: m[2], task: unquote(m[3] ?? '') };
  if (BLOCK_START_RE.test(text)) return 'block-start';
  m = INLINE_RE.exec(text);
  if (m && m[1] !== 'spawn' && m[1] !== 'release') {
    return { type: 'message', to: m[1], body: m[3], ...(m[2] ? { thread: m[2] } : {}) };
  }
  return undefined;
}

function unquote(s: string): string {
  const t = s.trim();
  if (t.length >= 2 && t.startsWith('"') && t.endsWith('"')) return t.slice(1, -1).replace(/\\"/g, '"');
  return t;
}
