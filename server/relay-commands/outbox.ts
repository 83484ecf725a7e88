import { existsSync, watch, type FSWatcher } from 'node:fs';
import { mkdir, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { isValidName, type SpawnRequest } from '../../lib/protocol';
import type { RelayCommand } from './grammar.mjs';
import { logger } from '../logger';

/**
 * Outbox files: header lines (`TO:`, `KIND:`, `NAME:`, `CLI:`, `MODEL:`, `CWD:`, `THREAD:`; `NODE:` on a
 * spawn, the cluster node to run it on: an extension, docs/cluster.md), a blank line, then the body.
 * Used by `->relay-file:<id>` and by the outbox watcher for `<dataDir>/outbox/<agent>/{msg,spawn,release}`
 * (what the published MCP server writes).
 */

export type OutboxCommand =
  | { type: 'message'; to: string; body: string; thread?: string; kind?: string }
  | { type: 'spawn'; name: string; cli: string; task: string; model?: string; cwd?: string; node?: string }
  | { type: 'release'; name: string; reason?: string };

/**
 * The SpawnRequest an agent's spawn command asks for, whichever way it came (a `->relay:spawn` line
 * has name, cli and task; an outbox file may add model, cwd and node). The caller adds who asked.
 */
export function spawnRequestOf(command: Extract<OutboxCommand | RelayCommand, { type: 'spawn' }>): SpawnRequest {
  return {
    name: command.name, cli: command.cli, task: command.task,
    ...('model' in command && command.model ? { model: command.model } : {}),
    ...('cwd' in command && command.cwd ? { cwd: command.cwd } : {}),
    // A cluster node (outbox files' NODE:); the spawn's own validation judges it.
    ...('node' in command && command.node ? { node: command.node } : {}),
  };
}

export function parseOutboxFile(text: string): OutboxCommand | { error: string } {
  const normalized = text.replace(/\r\n/g, '\n');
  const split = normalized.indexOf('\n\n');
  const head = split < 0 ? normalized : normalized.slice(0, split);
  const body = split < 0 ? '' : normalized.slice(split + 2);
  const headers: Record<string, string> = {};
  for (const line of head.split('\n')) {
    const m = /^([A-Za-z_-]+):\s?(.*)$/.exec(line);
    if (m) headers[m[1].toUpperCase()] = m[2].trim();
  }
  const kind = (headers.KIND ?? 'message').toLowerCase();
  if (kind === 'spawn') {
    if (!headers.NAME || !headers.CLI) return { error: 'A spawn outbox file needs NAME: and CLI: headers.' };
    return {
      type: 'spawn', name: headers.NAME, cli: headers.CLI, task: body.trim(),
      ...(headers.MODEL ? { model: headers.MODEL } : {}), ...(headers.CWD ? { cwd: headers.CWD } : {}),
      ...(headers.NODE ? { node: headers.NODE } : {}),
    };
  }
  if (kind === 'release') {
    if (!headers.NAME) return { error: 'A release outbox file needs a NAME: header.' };
    return { type: 'release', name: headers.NAME, ...(body.trim() ? { reason: body.trim() } : {}) };
  }
  if (!headers.TO) return { error: 'A message outbox file needs a TO: header.' };
  return {
    type: 'message', to: headers.TO, body: body.replace(/\n+$/, ''),
    ...(headers.THREAD ? { thread: headers.THREAD } : {}),
    ...(kind !== 'message' ? { kind } : {}),
  };
}

/**
 * Claims a file by renaming it first, so a writer that replaces the file while we read it is not
 * lost and two readers (watcher and `->relay-file`) never both act on it. Returns undefined when
 * the file is not there (already taken).
 */
export async function takeOutboxFile(path: string): Promise<string | undefined> {
  const claimed = `${path}.taken-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  try {
    await rename(path, claimed);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    return await readFile(claimed, 'utf8');
  } finally {
    await unlink(claimed).catch(() => {});
  }
}

export interface OutboxWatcherOptions {
  /** `<dataDir>/outbox`: one directory per agent below it. */
  root: string;
  handle(agent: string, command: OutboxCommand): Promise<void> | void;
  /** Poll interval: fs.watch misses events on some filesystems, so a scan also runs on a timer. */
  pollMs?: number;
  /** A file is taken only once unchanged this long (see OUTBOX_SETTLE_MS). */
  settleMs?: number;
  /** An empty file is left alone this long before it is taken and reported (OUTBOX_EMPTY_GRACE_MS). */
  emptyGraceMs?: number;
}

/**
 * Writers of these files (the published MCP server, a shell's `printf … > file`) create the file
 * and then write it: a watcher that claims it on the create event reads it empty or half-written
 * and loses the command (test/cluster/workers.test.ts lost a release this way under load). So a
 * file is claimed only after it has been left unchanged for this long.
 */
export const OUTBOX_SETTLE_MS = 60;
/** An empty file may still be about to be written; past this it is taken and its error logged. */
export const OUTBOX_EMPTY_GRACE_MS = 2_000;

export interface OutboxWatcher {
  /** Scan now (also runs on every fs event and timer tick). */
  scan(): Promise<void>;
  /** Stops watching; resolves once nothing of the watcher touches the disk any more. */
  close(): Promise<void>;
}

const WATCHED_FILES = ['msg', 'spawn', 'release'] as const;

export function createOutboxWatcher(options: OutboxWatcherOptions): OutboxWatcher {
  let closed = false;
  let scanning: Promise<void> | undefined;
  let again = false;
  let watcher: FSWatcher | undefined;
  let retry: NodeJS.Timeout | undefined;
  const settleMs = options.settleMs ?? OUTBOX_SETTLE_MS;
  const emptyGraceMs = options.emptyGraceMs ?? OUTBOX_EMPTY_GRACE_MS;

  /** A scan again once the earliest not-yet-settled file will have settled. */
  const scanAfter = (ms: number): void => {
    if (closed || retry) return;
    retry = setTimeout(() => {
      retry = undefined;
      void scan();
    }, Math.max(5, ms));
    retry.unref?.();
  };

  /** True when the file may be claimed now; otherwise a later scan is arranged. */
  const settled = async (path: string): Promise<boolean> => {
    // Most agents have no file waiting: existsSync costs no rejected promise and Error per missing
    // file (200 idle workers × 3 names, twice a second, were 5-6 % of a core).
    if (!existsSync(path)) return false;
    let st;
    try {
      st = await stat(path);
    } catch {
      return false;
    }
    const age = Date.now() - st.mtimeMs;
    const wait = st.size === 0 ? emptyGraceMs : settleMs;
    if (age >= wait) return true;
    scanAfter(wait - age);
    return false;
  };

  const scanOnce = async (): Promise<void> => {
    let agents: string[];
    try {
      agents = (await readdir(options.root, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
    } catch {
      return;
    }
    for (const agent of agents) {
      if (!isValidName(agent)) continue;
      for (const file of WATCHED_FILES) {
        const path = join(options.root, agent, file);
        if (!(await settled(path))) continue;
        const text = await takeOutboxFile(path).catch((err) => {
          logger.warn({ err, path }, 'outbox file could not be read');
          return undefined;
        });
        if (text === undefined) continue;
        const cmd = parseOutboxFile(text);
        if ('error' in cmd) {
          logger.warn({ agent, file, error: cmd.error }, 'outbox file ignored');
          continue;
        }
        try {
          await options.handle(agent, cmd);
        } catch (err) {
          logger.warn({ err, agent, file }, 'outbox command failed');
        }
      }
    }
  };

  const scan = (): Promise<void> => {
    if (closed) return Promise.resolve();
    if (scanning) {
      again = true;
      return scanning;
    }
    scanning = (async () => {
      do {
        again = false;
        await scanOnce();
      } while (again && !closed);
    })().finally(() => {
      scanning = undefined;
    });
    return scanning;
  };

  // Awaited by close(): a mkdir still queued when the owner removes the directory would make it again.
  const started = mkdir(options.root, { recursive: true }).then(() => {
    if (closed) return;
    try {
      watcher = watch(options.root, { recursive: true }, () => void scan());
      watcher.on('error', () => {});
    } catch {
      // No recursive watch here: the poll below still finds the files.
    }
    void scan();
  }, () => {});
  const timer = setInterval(() => void scan(), options.pollMs ?? 500);
  timer.unref?.();

  return {
    scan,
    async close() {
      closed = true;
      clearInterval(timer);
      if (retry) clearTimeout(retry);
      await started;
      watcher?.close();
      await scanning;
    },
  };
}
