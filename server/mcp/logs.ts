import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { dataDirFor } from '../../lib/paths';
import { isValidName } from '../../lib/protocol';

/**
 * relay_logs: the tail of a worker's output log (`<projectRoot>/.agent-relay/logs/<name>.log`, written
 * by the SpawnManager), as plain text a model can read: escape sequences removed, carriage-return
 * redraws (spinners) collapsed to what stayed on screen.
 */

/** Enough for a few hundred lines of agent output without reading a huge log whole. */
const TAIL_BYTES = 256 * 1024;

// CSI, OSC (BEL or ST terminated), and two-byte escapes.
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g;

export function toPlainText(raw: string): string {
  return raw
    .replace(ANSI, '')
    .split('\n')
    .map((line) => {
      const clean = line.replace(/\r+$/, '');
      // A bare \r returns to column 0: what follows the last one is what the terminal kept.
      const parts = clean.split('\r');
      return parts[parts.length - 1];
    })
    // eslint-disable-next-line no-control-regex
    .map((line) => line.replace(/[\x00-\x08\x0b-\x1f\x7f]/g, ''))
    .join('\n');
}

export function workerLogPath(projectRoot: string, name: string): string {
  return join(dataDirFor(projectRoot), 'logs', `${name}.log`);
}

export class LogNotFoundError extends Error {
  readonly code = 'NOT_FOUND';
}

/** The last `lines` lines of the worker's log as plain text. */
export function readWorkerLogTail(projectRoot: string, name: string, lines: number): { text: string; path: string; bytes: number } {
  if (!isValidName(name)) throw new LogNotFoundError(`"${name}" is not a valid worker name.`);
  const path = workerLogPath(projectRoot, name);
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    throw new LogNotFoundError(`No output log for worker "${name}" at ${path}; relay_workers lists the workers.`);
  }
  try {
    const size = fstatSync(fd).size;
    const start = Math.max(0, size - TAIL_BYTES);
    const buffer = Buffer.alloc(size - start);
    readSync(fd, buffer, 0, buffer.length, start);
    let text = toPlainText(buffer.toString('utf8'));
    // A cut in the middle of the file starts mid-line: drop that partial first line.
    if (start > 0) text = text.slice(text.indexOf('\n') + 1);
    const all = text.replace(/\n+$/, '').split('\n');
    return { text: all.slice(-lines).join('\n'), path, bytes: size };
  } finally {
    closeSync(fd);
  }
}
