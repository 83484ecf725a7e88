import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, openSync, readSync, closeSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient, env } from '../daemon/helpers';
import { ensureProductionBuild, killAll, makeSandbox, runCli, type RelayProcess, type Sandbox } from '../server/helpers/relay-process';
import { eventually, killWorkerProcesses } from './support/procs';

/**
 * Issue 10, defect 2: with the project's .agent-relay on a 20 MB filesystem and a worker printing
 * 60 MB, the output log stopped at ~20 MB with no word, `output?since=` inside the gap answered
 * 200 and an empty body, POST /api/messages answered 201 for a message that never reached the
 * history, and an agent first seen while the disk was full was never registered (later sends got
 * NOT_FOUND). Against the real `agent-relay up` (SQLite) on a real 20 MB tmpfs: every loss is
 * reported where the user looks (worker status, the output API, the message API, STATUS, doctor),
 * nothing delivered is dropped, and writing resumes when space comes back.
 */

const MiB = 1024 * 1024;
const FLOOD = 60 * MiB;
const AFTER = 1 * MiB;
/** Byte p of the worker's output is 'a' + p % 26: only letters, so the terminal passes them unchanged. */
const expected = (p: number) => 97 + (p % 26);
const PRODUCER = `
const fs = require('node:fs');
const [, , total, after, go] = process.argv;
let off = 0;
const block = (n) => { const b = Buffer.alloc(n); for (let i = 0; i < n; i++) b[i] = 97 + ((off + i) % 26); off += n; return b; };
function write(left, done) {
  while (left > 0) {
    const n = Math.min(left, 65536);
    left -= n;
    if (!process.stdout.write(block(n))) return process.stdout.once('drain', () => write(left, done));
  }
  done();
}
write(Number(total), () => {
  const wait = setInterval(() => {
    if (!fs.existsSync(go)) return;
    clearInterval(wait);
    write(Number(after), () => setInterval(() => {}, 1000));
  }, 100);
});
`;

let sandbox: Sandbox | undefined;
let mounted: string | undefined;
let mountProblem: string | undefined;

function tryMount(dir: string): string | undefined {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=20m,mode=0700', 'tmpfs', dir], { stdio: 'pipe' });
    mounted = dir;
    return undefined;
  } catch (err) {
    return `cannot mount a 20 MB tmpfs here (${((err as { stderr?: Buffer }).stderr?.toString() || (err as Error).message).trim()}); the full-disk test needs root or CAP_SYS_ADMIN`;
  }
}

beforeAll(async () => {
  await ensureProductionBuild();
}, 600_000);

afterAll(async () => {
  await killAll();
  if (sandbox) killWorkerProcesses(join(sandbox.projectRoot, '.agent-relay'));
  if (mounted) execFileSync('umount', ['-l', mounted], { stdio: 'ignore' });
  sandbox?.cleanup();
});

interface Gap {
  from: number;
  to: number | null;
  reason: string;
}

describe('a full disk is a state, not a silence (issue 10, defect 2)', () => {
  it('60 MB into a 20 MB filesystem: gaps, unstored messages and new agents are reported, and writing resumes when space returns', async (ctx) => {
    sandbox = makeSandbox();
    const dataDir = join(sandbox.projectRoot, '.agent-relay');
    mkdirSync(dataDir, { recursive: true });
    mountProblem = tryMount(dataDir);
    if (mountProblem) return ctx.skip(mountProblem);
    chmodSync(dataDir, 0o700);
    // Space we can give back later.
    const filler = join(dataDir, 'filler');
    writeFileSync(filler, Buffer.alloc(4 * MiB, 1));
    const producer = join(sandbox.dir, 'producer.cjs');
    writeFileSync(producer, PRODUCER);
    const go = join(sandbox.dir, 'go');

    const server: RelayProcess = runCli(['up', '--port', '0', '--no-open', '--project', sandbox.projectRoot], sandbox);
    const url = new URL(await server.url);
    const token = url.searchParams.get('token')!;
    const origin = url.origin;
    const api = (path: string, init: RequestInit = {}) =>
      fetch(`${origin}/api${path}`, { ...init, headers: { Authorization: `Bearer ${token}`, Origin: origin, 'Content-Type': 'application/json', ...init.headers } });
    const socketPath = join(dataDir, 'relay.sock');
    const status = async (client: RawClient) => {
      const req = env('STATUS');
      client.send(req);
      return (await client.waitFor((f) => f.type === 'STATUS_RESPONSE' && f.id === req.id)).payload as {
        storage: { canWrite: boolean; heldWrites?: number; lastWriteError?: string };
        disk?: { freeBytes: number; totalBytes: number };
      };
    };

    const listener = await RawClient.hello(socketPath, 'Listener');
    // A well-behaved client answers the heartbeat: the flood can take longer than the 30 s of silence
    // after which the daemon closes a connection.
    let ponged = 0;
    listener.socket.on('data', () => {
      for (const p of listener.of('PING').slice(ponged)) {
        listener.send(env('PONG', p.payload));
        ponged++;
      }
    });
    const spawned = await api('/workers', { method: 'POST', body: JSON.stringify({ name: 'Flood', cli: process.execPath, args: [producer, String(FLOOD), String(AFTER), go] }) });
    expect(spawned.status).toBe(201);
    const worker = async () => (await (await api('/workers/Flood')).json()) as { outputBytes: number; logGaps?: Gap[] };
    const flooded = await eventuallyAsync(async () => ((await worker()).outputBytes >= FLOOD ? await worker() : undefined), 'the 60 MB flood', 120_000);

    // 1. The worker's status says the log is incomplete, from which byte, and why.
    const gap = await eventuallyAsync(async () => (await worker()).logGaps?.[0], 'the gap in the worker status', 10_000);
    expect(flooded.outputBytes).toBe(FLOOD);
    expect(gap).toMatchObject({ from: expect.any(Number), to: null, reason: 'disk full' });
    expect(gap.from).toBeGreaterThan(5 * MiB);
    expect(gap.from).toBeLessThan(20 * MiB);
    // Up to the gap the log holds exactly the bytes produced.
    expectLogMatches(join(dataDir, 'logs', 'Flood.log'), 0, gap.from);

    // 2. Reading inside the gap is an explicit error naming the range that is gone…
    const inGap = await api(`/workers/Flood/output?since=${gap.from + 1000}`);
    expect(inGap.status).toBe(410);
    const gapError = (await inGap.json()) as { error: { code: string; message: string; gap: { from: number; to: number | null } } };
    expect(gapError.error).toMatchObject({ code: 'OUTPUT_GAP', gap: { from: gap.from } });
    expect(gapError.error.message).toMatch(/disk full/);
    // …and a read that runs into it stops at its start.
    const before = await api(`/workers/Flood/output?since=${gap.from - 100}&max=1000`);
    expect(before.status).toBe(200);
    expect((await before.arrayBuffer()).byteLength).toBe(100);

    // 3. A message while the disk is full is delivered and said to be not stored.
    const sent = await api('/messages', { method: 'POST', body: JSON.stringify({ to: 'Listener', body: 'while-full' }) });
    expect(sent.status).toBe(201);
    const sentBody = (await sent.json()) as { id: string; persisted: boolean };
    expect(sentBody.persisted).toBe(false);
    expect(listener.closed).toBe(false);
    await listener.waitFor((f) => f.type === 'DELIVER' && (f.payload as { body?: string }).body === 'while-full', 5000);

    // 4. An agent first seen while the disk is full is known: messages for it are held, not refused.
    const newcomer = await RawClient.hello(socketPath, 'Newcomer');
    newcomer.close();
    await eventuallyAsync(async () => {
      const agents = (await (await api('/agents')).json()) as { agents: { name: string; online?: boolean }[] };
      return agents.agents.find((a) => a.name === 'Newcomer');
    }, 'Newcomer in the agent list');
    const held = await api('/messages', { method: 'POST', body: JSON.stringify({ to: 'Newcomer', body: 'for-the-newcomer' }) });
    expect(held.status).toBe(201);
    expect(((await held.json()) as { persisted: boolean }).persisted).toBe(false);
    const back = await RawClient.hello(socketPath, 'Newcomer');
    await back.waitFor((f) => f.type === 'DELIVER' && (f.payload as { body?: string }).body === 'for-the-newcomer', 5000);
    back.close();

    // 5. STATUS and doctor say the storage cannot write, and how much space is left.
    const full = await status(listener);
    expect(full.storage.canWrite).toBe(false);
    expect(full.storage.heldWrites).toBeGreaterThan(0);
    expect(full.storage.lastWriteError).toMatch(/disk full/);
    expect(full.disk?.totalBytes).toBeLessThanOrEqual(21 * MiB);
    expect(full.disk?.freeBytes).toBeLessThan(MiB);
    const doctor = runCli(['doctor'], sandbox);
    await doctor.exited;
    expect(doctor.stdout()).toMatch(/free/);
    expect(doctor.stdout()).toMatch(/✗ .*(storage|write)/);

    // 6. Space comes back: the held writes go in, new output goes to the log at its offsets.
    rmSync(filler);
    await eventuallyAsync(async () => (await status(listener)).storage.canWrite || undefined, 'storage writing again', 10_000);
    expect((await status(listener)).storage.heldWrites ?? 0).toBe(0);
    const history = (await (await api('/messages?limit=50')).json()) as { messages: { id: string; body: string }[] };
    expect(history.messages.map((m) => m.body)).toEqual(expect.arrayContaining(['while-full', 'for-the-newcomer']));
    const now = await api('/messages', { method: 'POST', body: JSON.stringify({ to: 'Listener', body: 'after-space' }) });
    expect(((await now.json()) as { persisted: boolean }).persisted).toBe(true);

    writeFileSync(go, '');
    const resumed = await eventuallyAsync(async () => {
      const w = await worker();
      return w.outputBytes === FLOOD + AFTER && w.logGaps?.[0]?.to !== null ? w : undefined;
    }, 'the output after space returned', 30_000);
    expect(resumed.logGaps).toHaveLength(1);
    const closed = resumed.logGaps![0];
    expect(closed.from).toBe(gap.from);
    expect(closed.to).toBeGreaterThan(gap.from);
    expect(closed.to).toBeLessThanOrEqual(FLOOD);
    const log = join(dataDir, 'logs', 'Flood.log');
    await eventually(() => statSync(log).size === FLOOD + AFTER, 'the log to reach its end');
    // Every byte after the gap is in the log, at its own offset.
    expectLogMatches(log, closed.to!, FLOOD + AFTER);
    expectLogMatches(log, 0, closed.from);

    // `agent-relay logs` prints everything the log has and says on stderr which bytes are missing.
    const logs = runCli(['logs', 'Flood'], sandbox);
    expect((await logs.exited).code).toBe(0);
    const said = /Bytes (\d+) to (\d+) of "Flood"'s output are not in its log \(disk full\)/.exec(logs.stderr());
    expect(said).not.toBeNull();
    const [skipFrom, skipTo] = [Number(said![1]), Number(said![2])];
    // What is gone is the gap, less what is still in memory (the last 4 MiB).
    expect(skipFrom).toBe(closed.from);
    expect(skipTo).toBeGreaterThan(skipFrom);
    expect(skipTo).toBeLessThanOrEqual(closed.to!);
    const printed = Buffer.from(logs.stdout(), 'latin1');
    expect(printed.length).toBe(skipFrom + (FLOOD + AFTER - skipTo));
    for (let i = 0; i < printed.length; i++) {
      const offset = i < skipFrom ? i : skipTo + (i - skipFrom);
      if (printed[i] !== expected(offset)) throw new Error(`logs printed ${printed[i]} for byte ${offset}`);
    }

    // The server said it, once each, in its log (stderr).
    expect(server.stderr()).toMatch(/disk full/i);
    listener.close();
    server.kill('SIGTERM');
    await server.exited;
    expect(existsSync(log)).toBe(true);
  }, 300_000);
});

function expectLogMatches(path: string, from: number, to: number): void {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(MiB);
    for (let pos = from; pos < to; ) {
      const n = readSync(fd, buf, 0, Math.min(buf.length, to - pos), pos);
      expect(n).toBeGreaterThan(0);
      for (let i = 0; i < n; i++) {
        if (buf[i] !== expected(pos + i)) throw new Error(`log byte ${pos + i} is ${buf[i]}, expected ${expected(pos + i)}`);
      }
      pos += n;
    }
  } finally {
    closeSync(fd);
  }
}

async function eventuallyAsync<T>(check: () => Promise<T | undefined | false>, what: string, deadlineMs = 20_000): Promise<T> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > until) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
