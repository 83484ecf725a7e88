// @ts-check
// The relay-command grammar (protocol.md, "Agents speaking through their terminal"), in one place.
// Plain JavaScript so that the screen thread (screen-thread.mjs, which cannot load TypeScript) and
// the TypeScript side share it; tsc checks it through the JSDoc types.

/**
 * @typedef {{ type: 'message', to: string, body: string, thread?: string }
 *   | { type: 'spawn', name: string, cli: string, task: string }
 *   | { type: 'release', name: string }
 *   | { type: 'relay-file', id: string }} RelayCommand
 */

/** Same as lib/protocol MAX_BODY_BYTES (a JS module cannot import the TypeScript constant). */
export const MAX_BODY_CHARS = 256 * 1024;
/** Lines longer than this cannot be commands we accept. */
export const MAX_LINE_CHARS = MAX_BODY_CHARS + 1024;
export const MAX_BLOCK_LINES = 10_000;

const NAME = '[A-Za-z_][A-Za-z0-9._-]{0,63}';
const TARGET = `(\\*|@users|${NAME})`;
const THREAD = '(?:\\s+\\[thread:([^\\]\\s]{1,256})\\])?';
const INLINE_RE = new RegExp(`^->relay:${TARGET}${THREAD}\\s+(.*\\S)$`);
const BLOCK_START_RE = new RegExp(`^->relay:${TARGET}${THREAD}\\s+<<<$`);
const SPAWN_RE = new RegExp(`^->relay:spawn\\s+(${NAME})\\s+(\\S+)(?:\\s+(.*))?$`);
const RELEASE_RE = new RegExp(`^->relay:release\\s+(${NAME})$`);
const FILE_RE = /^->relay-file:([A-Za-z0-9._-]{1,128})$/;
const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;

/**
 * Where a command starts on a line, or -1. A command stands on a line of its own: only decoration
 * without letters or digits (spaces, `●`, `⏺`, `>`, `│`, a list dash) may precede it, so prose that
 * mentions a command, and the echo of an injected message, are not commands.
 * @param {string} text
 */
export function commandStart(text) {
  const at = text.indexOf('->relay');
  if (at < 0) return -1;
  if (at > 0 && LETTER_OR_DIGIT.test(text.slice(0, at))) return -1;
  return at;
}

/**
 * Parses one command line, already stripped of its decoration (it starts with `->relay`).
 * @param {string} text
 * @returns {RelayCommand | 'block-start' | undefined}
 */
export function parseCommandLine(text) {
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

/**
 * The target and thread of a block start line (`->relay:<Target> [thread:<id>] <<<`).
 * @param {string} text
 * @returns {{ to: string, thread?: string } | undefined}
 */
export function parseBlockStart(text) {
  const m = BLOCK_START_RE.exec(text);
  return m ? { to: m[1], ...(m[2] ? { thread: m[2] } : {}) } : undefined;
}

/** @param {string} s */
function unquote(s) {
  const t = s.trim();
  if (t.length >= 2 && t.startsWith('"') && t.endsWith('"')) return t.slice(1, -1).replace(/\\"/g, '"');
  return t;
}
