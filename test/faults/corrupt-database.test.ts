import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, openSync, closeSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openStorage } from '../../server/storage';
import { ensureProductionBuild, killAll, makeSandbox, runCli, type Sandbox } from '../server/helpers/relay-process';

/**
 * Defect 6 (issue 10): with 200 KB of garbage at offset 300,000 of relay.db, `up` printed the right
 * error and then did not exit (still running 60 s later with the files open); a 0-byte relay.db
 * started empty with no warning.
 *
 * Against the real `agent-relay up` with the default sqlite storage: a corrupt database exits 1
 * within a second of saying so, naming the file and what to do; an empty relay.db (which
 * agent-relay never leaves behind: it writes at every open) is reported the same way.
 */

/** How soon after the error line the process must be gone. */
const EXIT_AFTER_ERROR_MS = 1_000;
/** The whole start (tsx, the CLI, Next's import) on a loaded two-core machine: generous. */
const WHOLE_RUN_MS = 30_000;

let sandbox: Sandbox;
let dataDir: string;

beforeAll(async () => {
  await ensureProductionBuild();
}, 600_000);

afterEach(() => sandbox?.cleanup());
afterAll(async () => {
  await killAll();
});

function freshSandbox(): void {
  sandbox = makeSandbox();
  dataDir = join(sandbox.projectRoot, '.agent-relay');
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
}

/** A real database with about 2 MB of history, written and closed by our own storage. */
function writeHistory(): string {
  const storage = openStorage({ driver: 'sqlite', dataDir });
  for (let i = 0; i < 4000; i++) {
    storage.saveMessage({ id: randomUUID(), from: 'alice', to: 'bob', body: `${'history '.repeat(40)}${i}`, kind: 'message', ts: Date.now(), status: 'unread', isBroadcast: false });
  }
  storage.close();
  const path = join(dataDir, 'relay.db');
  expect(statSync(path).size).toBeGreaterThan(500_000);
  return path;
}

/** Runs `up` with sqlite storage; resolves with its exit, its stderr, and how long after the error line it exited. */
async function upExpectingFailure(): Promise<{ code: number | null; stderr: string; afterErrorMs: number; wholeMs: number }> {
  const began = Date.now();
  const up = runCli(['up', '--port', '0', '--no-open', '--project', sandbox.projectRoot], sandbox);
  let errorAt: number | undefined;
  up.child.stderr!.on('data', () => (errorAt ??= Date.now()));
  const killer = setTimeout(() => up.kill('SIGKILL'), WHOLE_RUN_MS);
  const { code } = await up.exited;
  clearTimeout(killer);
  const exitedAt = Date.now();
  return { code, stderr: up.stderr(), afterErrorMs: exitedAt - (errorAt ?? exitedAt), wholeMs: exitedAt - began };
}

describe('defect 6: a corrupt or empty relay.db stops `up` at once', () => {
  it('200 KB of garbage at offset 300,000: exits 1 within a second of the error, naming the file and what to do', async () => {
    freshSandbox();
    const path = writeHistory();
    const fd = openSync(path, 'r+');
    writeSync(fd, randomBytes(200_000), 0, 200_000, 300_000);
    closeSync(fd);

    const run = await upExpectingFailure();
    console.log(`corrupt relay.db: exit ${run.code} ${run.afterErrorMs} ms after the error line, ${run.wholeMs} ms in all`);
    expect(run.code, `stderr: ${run.stderr}`).toBe(1);
    expect(run.afterErrorMs).toBeLessThan(EXIT_AFTER_ERROR_MS);
    expect(run.stderr).toContain(path);
    expect(run.stderr).toMatch(/corrupt/i);
    expect(run.stderr).toMatch(/move it aside|delete it/);
    expect(run.stderr).toContain('--storage memory');
    // It stopped before listening: no socket left behind for a client to find.
    expect(existsSync(join(dataDir, 'relay.sock'))).toBe(false);
  }, 60_000);

  it('a 0-byte relay.db that agent-relay did not create is reported, not silently started empty', async () => {
    freshSandbox();
    const path = join(dataDir, 'relay.db');
    writeFileSync(path, '');

    const run = await upExpectingFailure();
    expect(run.code, `stderr: ${run.stderr}`).toBe(1);
    expect(run.afterErrorMs).toBeLessThan(EXIT_AFTER_ERROR_MS);
    expect(run.stderr).toContain(path);
    expect(run.stderr).toMatch(/empty \(0 bytes\)/);
    expect(run.stderr).toMatch(/delete it|move it aside/);
    // Nothing was written over it: the evidence stays as it was found.
    expect(statSync(path).size).toBe(0);
  }, 60_000);
});
