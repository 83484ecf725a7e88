import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient, env } from '../daemon/helpers';
import { openStorage } from '../../server/storage';
import { ensureProductionBuild, killAll, makeSandbox, runCli, REPO_ROOT, type RelayProcess, type Sandbox } from '../server/helpers/relay-process';
import { http, stackTraceLines, until } from './support/probes';

/**
 * Defect 8 (issue 10), the small ones, each against the real thing:
 * - relay.db*, the worker logs, logs/ and outbox/ were 0644/0755 (only the 0700 parent protected them);
 * - worker names starting `__` were accepted, then hidden from LIST_AGENTS;
 * - one outbox directory was left behind per removed worker;
 * - `agent-relay status | head -1` and `doctor | head -1` crashed with an unhandled EPIPE;
 * - when the SQLite writer thread died, the batches it had been handed were lost ("may be lost").
 * (The documentation ones — dashboard.md's flow-control figures, the README's first-run words — are
 * text, checked by reading.)
 */

const BIN = join(REPO_ROOT, 'bin', 'agent-relay.js');

let sandbox: Sandbox;
let server: RelayProcess;
let origin: string;
let token: string;
let dataDir: string;

const api = (path: string, init: { method?: string; body?: unknown } = {}) =>
  http(`${origin}/api${path}`, {
    method: init.method ?? 'GET',
    headers: { Authorization: `Bearer ${token}`, ...(init.body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });

async function startSqliteUp(): Promise<void> {
  // The default storage (sqlite), so relay.db and its WAL exist.
  server = runCli(['up', '--port', '0', '--no-open', '--project', sandbox.projectRoot], sandbox);
  const url = new URL(await server.url);
  origin = url.origin;
  token = url.searchParams.get('token')!;
}

async function stopUp(): Promise<void> {
  server.kill('SIGTERM');
  await server.exited;
}

async function spawnAndWait(name: string): Promise<void> {
  const reply = await api('/workers', { method: 'POST', body: { name, cli: 'cat' } });
  expect(reply.status, reply.body).toBe(201);
  await until(async () => {
    const info = await api(`/workers/${name}`);
    return info.status === 200 && ['running', 'idle'].includes((JSON.parse(info.body) as { status: string }).status);
  }, `worker ${name} running`);
}

const modeOf = (path: string) => statSync(path).mode & 0o777;
const octal = (n: number) => `0${n.toString(8)}`;

beforeAll(async () => {
  await ensureProductionBuild();
  sandbox = makeSandbox();
  dataDir = join(sandbox.projectRoot, '.agent-relay');
  await startSqliteUp();
}, 600_000);

afterAll(async () => {
  await killAll();
  sandbox?.cleanup();
});

describe('defect 8: the small ones', () => {
  it('keeps relay.db, its WAL and SHM, the worker logs, logs/ and outbox/ private (0600 / 0700), tightening old ones at start', async () => {
    await spawnAndWait('modes');
    expect((await api('/messages', { method: 'POST', body: { to: 'modes', body: 'make the WAL grow' } })).status).toBe(201);
    await until(async () => existsSync(join(dataDir, 'logs', 'modes.log')) || undefined, 'the log file');
    const expected: Record<string, number> = {
      'relay.db': 0o600,
      'relay.db-wal': 0o600,
      'relay.db-shm': 0o600,
      'logs': 0o700,
      'logs/modes.log': 0o600,
      'outbox': 0o700,
      'outbox/modes': 0o700,
    };
    const actual = Object.fromEntries(Object.keys(expected).map((p) => [p, octal(modeOf(join(dataDir, p)))]));
    expect(actual).toEqual(Object.fromEntries(Object.entries(expected).map(([p, m]) => [p, octal(m)])));

    // An older install left them loose: the next start tightens them.
    await stopUp();
    chmodSync(join(dataDir, 'relay.db'), 0o644);
    chmodSync(join(dataDir, 'logs'), 0o755);
    chmodSync(join(dataDir, 'logs', 'modes.log'), 0o644);
    chmodSync(join(dataDir, 'outbox'), 0o755);
    await startSqliteUp();
    expect(octal(modeOf(join(dataDir, 'relay.db')))).toBe('0600');
    expect(octal(modeOf(join(dataDir, 'logs')))).toBe('0700');
    expect(octal(modeOf(join(dataDir, 'logs', 'modes.log')))).toBe('0600');
    expect(octal(modeOf(join(dataDir, 'outbox')))).toBe('0700');
  }, 90_000);

  it('refuses worker names starting "__" (reserved for the relay) over HTTP and over the socket', async () => {
    const reply = await api('/workers', { method: 'POST', body: { name: '__hidden', cli: 'cat' } });
    expect(reply.status).toBe(400);
    expect(JSON.parse(reply.body)).toMatchObject({ error: { code: 'INVALID_NAME', field: 'name', message: expect.stringContaining('__') } });

    const client = await RawClient.hello(join(dataDir, 'relay.sock'), 'spawner');
    client.send(env('SPAWN', { name: '__also_hidden', cli: 'cat' }));
    const result = await client.waitFor((f) => f.type === 'SPAWN_RESULT');
    expect(result.payload).toMatchObject({ success: false, code: 'INVALID_NAME' });
    client.close();
    const workers = JSON.parse((await api('/workers')).body) as { workers: { name: string }[] };
    expect(workers.workers.map((w) => w.name).filter((n) => n.startsWith('__'))).toEqual([]);
  });

  it('removes the outbox directory of a removed worker', async () => {
    await spawnAndWait('leaves');
    const outbox = join(dataDir, 'outbox', 'leaves');
    expect(existsSync(outbox)).toBe(true);
    expect((await api('/workers/leaves?remove=1', { method: 'DELETE' })).status).toBe(200);
    await until(async () => !existsSync(outbox) || undefined, 'the outbox directory to go', 5_000);
    expect(existsSync(outbox)).toBe(false);
  });

  it('exits cleanly when the reader of `status` or `doctor` goes away (| head -1), without an EPIPE crash', async () => {
    for (const command of ['status', 'doctor']) {
      for (let run = 0; run < 3; run++) {
        const child = spawn(process.execPath, [BIN, command], { cwd: sandbox.projectRoot, env: sandbox.env, stdio: ['ignore', 'pipe', 'pipe'] });
        // The reader is gone before the first line is written: every write meets a closed pipe.
        child.stdout!.destroy();
        let stderr = '';
        child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
        const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
        expect(stderr, `${command} run ${run}`).not.toMatch(/EPIPE|Unhandled|uncaught/i);
        expect(stackTraceLines(stderr), `${command} run ${run}`).toEqual([]);
        expect([0, 1], `${command} run ${run} exit code`).toContain(code);
      }
    }
  }, 120_000);

  it('rewrites on the main thread the batches the SQLite writer thread had been handed when it died', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'relay-writer-death-'));
    try {
      const storage = openStorage({ driver: 'sqlite', dataDir: dir });
      storage.saveMessage({ id: 'before', from: 'a', to: 'Bob', body: 'committed', kind: 'message', ts: Date.now(), status: 'unread', isBroadcast: false });
      storage.flush();
      // One large batch, handed to the thread at the end of this turn; the thread dies while it commits it.
      const ids = Array.from({ length: 20_000 }, () => randomUUID());
      for (const id of ids) storage.saveMessage({ id, from: 'a', to: 'Bob', body: 'in flight', kind: 'message', ts: Date.now(), status: 'unread', isBroadcast: false });
      await new Promise((r) => setImmediate(r));
      // The thread is private; ending it is the failure under test.
      await (storage as unknown as { queue: { worker: { terminate(): Promise<number> } } }).queue.worker.terminate();
      await new Promise((r) => setImmediate(r));
      const pending = storage.pendingMessages('Bob', { limit: 30_000 });
      expect(pending.length).toBe(ids.length + 1);
      expect(storage.info.canWrite).toBe(true);
      storage.close();
      // And it is on disk, not only in memory.
      const reopened = openStorage({ driver: 'sqlite', dataDir: dir });
      expect(reopened.pendingMessages('Bob', { limit: 30_000 }).length).toBe(ids.length + 1);
      reopened.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

});
