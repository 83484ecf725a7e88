import { chmodSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parse as parseToml } from 'smol-toml';

/**
 * Adds or removes one named server in an editor's config file, keeping everything else in it.
 * JSON is parsed and re-written with the file's own indentation; TOML is edited as text (only our
 * table is replaced) so the user's comments and layout survive, then parsed again to prove it is valid.
 */

export type EditStatus = 'created' | 'updated' | 'unchanged' | 'removed' | 'absent';

export interface PlannedEdit {
  status: EditStatus;
  /** The file's content after the edit (equal to the old content when nothing changes). */
  content: string;
}

export class ConfigFileError extends Error {
  constructor(
    readonly code: 'CONFIG_UNPARSEABLE' | 'CONFIG_CONFLICT',
    message: string,
  ) {
    super(message);
    this.name = 'ConfigFileError';
  }
}

type Json = Record<string, unknown>;

function isPlainObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => deepEqual(a[k], b[k]));
  }
  return false;
}

/** The indentation the file already uses (tab or N spaces), default two spaces. */
function detectIndent(text: string): string | number {
  const match = /\n([ \t]+)["}\]]/.exec(text);
  if (!match) return 2;
  return match[1].startsWith('\t') ? '\t' : match[1].length;
}

/**
 * `entry` null removes the server. `text` null means the file does not exist yet.
 * Throws ConfigFileError when the file is not plain JSON (editors' JSONC with comments included):
 * re-writing it would drop what we cannot read, so the caller shows the entry to paste by hand.
 */
export function planJsonEdit(
  text: string | null,
  path: string,
  containerKey: string,
  name: string,
  entry: Json | null,
): PlannedEdit {
  let root: Json = {};
  if (text !== null && text.trim() !== '') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new ConfigFileError(
        'CONFIG_UNPARSEABLE',
        `${path} is not plain JSON (${(err as Error).message}); it may hold comments. Nothing was changed: add the entry by hand (see --dry-run).`,
      );
    }
    if (!isPlainObject(parsed)) {
      throw new ConfigFileError('CONFIG_UNPARSEABLE', `${path} does not hold a JSON object; nothing was changed.`);
    }
    root = parsed;
  }
  const existingContainer = root[containerKey];
  if (existingContainer !== undefined && !isPlainObject(existingContainer)) {
    throw new ConfigFileError(
      'CONFIG_CONFLICT',
      `"${containerKey}" in ${path} is not an object; fix it by hand, then run this again.`,
    );
  }
  const container: Json = { ...(existingContainer ?? {}) };
  const before = container[name];
  const unchangedText = text ?? '';
  if (entry === null) {
    if (before === undefined) return { status: 'absent', content: unchangedText };
    delete container[name];
  } else {
    if (deepEqual(before, entry)) return { status: 'unchanged', content: unchangedText };
    container[name] = entry;
  }
  const next = { ...root, [containerKey]: container };
  const content = `${JSON.stringify(next, null, text ? detectIndent(text) : 2)}\n`;
  const status: EditStatus = entry === null ? 'removed' : before === undefined ? 'created' : 'updated';
  return { status, content };
}

function tomlString(value: string): string {
  // JSON's escapes (\" \\ \n \t \uXXXX …) are all valid in a TOML basic string.
  return JSON.stringify(value);
}

function tomlBlock(containerKey: string, name: string, entry: Json): string {
  const lines = [`[${containerKey}.${name}]`];
  for (const [key, value] of Object.entries(entry)) {
    if (typeof value === 'string') lines.push(`${key} = ${tomlString(value)}`);
    else if (Array.isArray(value)) lines.push(`${key} = [${value.map((v) => tomlString(String(v))).join(', ')}]`);
    else if (isPlainObject(value)) {
      const pairs = Object.entries(value).map(([k, v]) => `${tomlString(k)} = ${tomlString(String(v))}`);
      lines.push(`${key} = { ${pairs.join(', ')} }`);
    } else if (typeof value === 'boolean' || typeof value === 'number') lines.push(`${key} = ${value}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Drops `[container.name]` and its sub-tables (`[container.name.env]`), header to the next header. */
function removeTomlTables(text: string, containerKey: string, name: string): string {
  const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');
  const ours = new RegExp(`^\\s*\\[\\s*${esc(containerKey)}\\s*\\.\\s*(?:${esc(name)}|"${esc(name)}")\\s*(?:\\.[^\\]]*)?\\]\\s*(?:#.*)?$`);
  const anyHeader = /^\s*\[/;
  const out: string[] = [];
  let skipping = false;
  for (const line of text.split('\n')) {
    if (ours.test(line)) {
      skipping = true;
      continue;
    }
    if (skipping && anyHeader.test(line)) skipping = false;
    if (!skipping) out.push(line);
  }
  return out.join('\n').replace(/\n{3,}/g, '\n\n');
}

function parseTomlOrThrow(text: string, path: string): Json {
  try {
    return parseToml(text) as Json;
  } catch (err) {
    throw new ConfigFileError(
      'CONFIG_UNPARSEABLE',
      `${path} is not valid TOML (${(err as Error).message.split('\n')[0]}); nothing was changed.`,
    );
  }
}

function tomlEntry(doc: Json, containerKey: string, name: string): unknown {
  const container = doc[containerKey];
  return isPlainObject(container) ? container[name] : undefined;
}

export function planTomlEdit(
  text: string | null,
  path: string,
  containerKey: string,
  name: string,
  entry: Json | null,
): PlannedEdit {
  const original = text ?? '';
  const before = tomlEntry(parseTomlOrThrow(original, path), containerKey, name);
  if (entry === null && before === undefined) return { status: 'absent', content: original };
  if (entry !== null && deepEqual(before, entry)) return { status: 'unchanged', content: original };

  let content = removeTomlTables(original, containerKey, name).replace(/\s*$/, '');
  if (entry !== null) content = `${content}${content ? '\n\n' : ''}${tomlBlock(containerKey, name, entry)}`;
  else content = content ? `${content}\n` : '';

  // Prove the edit: the file must still parse and hold exactly what we meant (or nothing of ours).
  let after: unknown;
  try {
    after = tomlEntry(parseToml(content) as Json, containerKey, name);
  } catch {
    after = Symbol('unparseable');
  }
  const ok = entry === null ? after === undefined : deepEqual(after, entry);
  if (!ok) {
    throw new ConfigFileError(
      'CONFIG_CONFLICT',
      `${path} defines "${containerKey}.${name}" in a form this installer does not edit (an inline table or dotted keys); change it by hand. Nothing was changed.`,
    );
  }
  const status: EditStatus = entry === null ? 'removed' : before === undefined ? 'created' : 'updated';
  return { status, content };
}

export function readTextOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** Temp file + rename, so an editor never reads half a file; an existing file keeps its mode (~/.claude.json is 0600). */
export function writeFileAtomic(path: string, content: string): void {
  mkdirSync(dirname(path), { recursive: true });
  let mode: number | undefined;
  try {
    mode = statSync(path).mode & 0o777;
  } catch {
    mode = undefined;
  }
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, content, { mode: mode ?? 0o644 });
  if (mode !== undefined) chmodSync(tmp, mode);
  renameSync(tmp, path);
}
