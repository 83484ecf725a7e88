import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import xtermHeadless from '@xterm/headless';
import { SerializeAddon } from '@xterm/addon-serialize';
import { afterEach, describe, expect, it } from 'vitest';
import { WorkerError } from '../../lib/protocol';
import { exitOf, makeFixture, outputText, waitFor, type SpawnFixture } from './helpers';

let fx: SpawnFixture | undefined;
afterEach(async () => {
  await fx?.cleanup();
  fx = undefined;
});

async function expectCode(p: Promise<unknown> | (() => unknown), code: string, field?: string) {
  let err: unknown;
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(WorkerError);
  expect((err as WorkerError).code).toBe(code);
  if (field) expect((err as WorkerError).field).toBe(field);
  return err as WorkerError;
}

describe('SpawnManager', () => {
  it('runs bash in a PTY, types input into it, and records the exit code', async () => {
    fx = makeFixture();
    const m = fx.manager;
    const info = await m.spawn({ name: 'sh1', cli: 'bash', args: ['--norc', '--noprofile'] });
    expect(info.status).toBe('starting');
    expect(info.pid).toBeGreaterThan(0);
    expect(info.cols).toBe(120);
    m.sendWorkerInput('sh1', 'echo "$AGENT_RELAY_NAME:$RELAY_AGENT_NAME:$TERM:$((6*7))"\r');
    await waitFor(async () => (await outputText(m, 'sh1')).includes('sh1:sh1:xterm-256color:42'), 10_000, 'echo');
    m.sendWorkerInput('sh1', 'exit 3\r');
    const done = await exitOf(m, 'sh1');
    expect(done.exitCode).toBe(3);
    expect(done.signal).toBeNull();
    expect(done.exitedAt).toBeGreaterThan(0);
    expect(m.listWorkers().map((w) => w.name)).toEqual(['sh1']);
    await expectCode(() => m.sendWorkerInput('sh1', 'x'), 'NOT_RUNNING');
  });

  it('gives the worker its relay environment and an outbox directory', async () => {
    fx = makeFixture();
    const m = fx.manager;
    await m.spawn(
      { name: 'envy', cli: 'node', args: ['-e', 'const e=process.env;console.log([e.RELAY_SOCKET,e.AGENT_RELAY_OUTBOX,e.AGENT_RELAY_SPAWNER,e.EXTRA].join("|"))'], env: { EXTRA: 'x1' }, spawnerName: 'Boss' },
      { trusted: true },
    );
    await exitOf(m, 'envy');
    const text = await outputText(m, 'envy');
    expect(text).toContain(`${join(fx.dataDir, 'relay.sock')}|${join(fx.dataDir, 'outbox', 'envy')}|Boss|x1`);
    expect(m.getWorker('envy')?.spawnerName).toBe('Boss');
  });

  it('refuses an unknown executable with CLI_NOT_FOUND and starts nothing', async () => {
    fx = makeFixture();
    const err = await expectCode(fx.manager.spawn({ name: 'nope', cli: 'no-such-cli-xyz' }), 'CLI_NOT_FOUND', 'cli');
    expect(err.message).toContain('no-such-cli-xyz');
    expect(err.message).toContain('PATH');
    await expectCode(fx.manager.spawn({ name: 'nope2', cli: './missing/tool' }), 'CLI_NOT_FOUND', 'cli');
    expect(fx.manager.listWorkers()).toEqual([]);
  });

  it('refuses a node on a relay that is not in a cluster (NO_SUCH_NODE) instead of running it here', async () => {
    fx = makeFixture();
    const err = await expectCode(fx.manager.spawn({ name: 'far', cli: 'cat', node: 'build-box' }), 'NO_SUCH_NODE');
    expect(err.message).toContain('not part of a cluster');
    expect(err.message).toContain('--cluster');
    const manager = fx.manager;
    await expectCode(() => manager.resolve({ name: 'far', cli: 'cat', node: 'build-box' }), 'NO_SUCH_NODE');
    expect(fx.manager.listWorkers()).toEqual([]);
  });

  it('refuses a missing or non-directory cwd with BAD_CWD, and resolves relative cwd against the project', async () => {
    fx = makeFixture();
    await expectCode(fx.manager.spawn({ name: 'a', cli: 'cat', cwd: 'does/not/exist' }), 'BAD_CWD', 'cwd');
    writeFileSync(join(fx.projectRoot, 'file.txt'), 'x');
    await expectCode(fx.manager.spawn({ name: 'a', cli: 'cat', cwd: 'file.txt' }), 'BAD_CWD', 'cwd');
    mkdirSync(join(fx.projectRoot, 'sub'));
    const info = await fx.manager.spawn({ name: 'a', cli: 'pwd', cwd: 'sub' });
    expect(info.cwd).toBe(join(fx.projectRoot, 'sub'));
    await exitOf(fx.manager, 'a');
    expect(await outputText(fx.manager, 'a')).toContain(join(fx.projectRoot, 'sub'));
  });

  it('validates names, refuses a live duplicate and replaces an exited one', async () => {
    fx = makeFixture();
    const m = fx.manager;
    await expectCode(m.spawn({ name: 'bad name', cli: 'cat' }), 'INVALID_NAME', 'name');
    await expectCode(m.spawn({ name: 'Dashboard', cli: 'cat' }), 'INVALID_NAME', 'name');
    await m.spawn({ name: 'dup', cli: 'cat' });
    await expectCode(m.spawn({ name: 'dup', cli: 'cat' }), 'NAME_TAKEN', 'name');
    await m.release('dup', { force: true });
    const again = await m.spawn({ name: 'dup', cli: 'cat' });
    expect(again.status).toBe('starting');
    expect(m.listWorkers()).toHaveLength(1);
  });

  it('enforces maxWorkers, the CLI allow-list and the nested-spawn policy', async () => {
    fx = makeFixture({ maxWorkers: 2, allowedClis: ['cat', 'demo'], allowNestedSpawn: false });
    const m = fx.manager;
    await m.spawn({ name: 'w1', cli: 'cat' });
    const denied = await expectCode(m.spawn({ name: 'w2', cli: 'bash' }), 'POLICY_DENIED', 'cli');
    expect(denied.message).toContain('allowed');
    const nested = await expectCode(m.spawn({ name: 'w2', cli: 'cat' }, { requester: 'w1', trusted: true }), 'POLICY_DENIED');
    expect(nested.message).toContain('allowNestedSpawn');
    // A worker's MCP server connects as __mcp-<pid> and names its agent as the spawner (relay_spawn).
    const viaMcp = await expectCode(m.spawn({ name: 'w2', cli: 'cat', spawnerName: 'w1' }, { requester: '__mcp-4242', trusted: false }), 'POLICY_DENIED');
    expect(viaMcp.message).toContain('"w1" asked for "w2"');
    await m.spawn({ name: 'w2', cli: 'cat' });
    await expectCode(m.spawn({ name: 'w3', cli: 'cat' }), 'LIMIT_REACHED');
  });

  it('refuses input over MAX_INPUT_BYTES and unknown workers', async () => {
    fx = makeFixture();
    await fx.manager.spawn({ name: 'c', cli: 'cat' });
    await expectCode(() => fx!.manager.sendWorkerInput('c', 'x'.repeat(64 * 1024 + 1)), 'INPUT_TOO_LARGE', 'data');
    await expectCode(() => fx!.manager.sendWorkerInput('ghost', 'x'), 'NOT_FOUND');
    await expectCode(fx.manager.readOutput('ghost', 0), 'NOT_FOUND');
  });

  it('resize changes what tput cols reports', async () => {
    fx = makeFixture();
    const m = fx.manager;
    await m.spawn({ name: 'r', cli: 'bash', args: ['--norc', '--noprofile'], cols: 80, rows: 24 });
    m.resize('r', 133, 41);
    expect(m.getWorker('r')).toMatchObject({ cols: 133, rows: 41 });
    m.sendWorkerInput('r', 'echo "C=$(tput cols) L=$(tput lines)"\r');
    await waitFor(async () => (await outputText(m, 'r')).includes('C=133 L=41'), 10_000, 'tput output');
  });

  it('release sends SIGTERM to the process group and reports it', async () => {
    fx = makeFixture({ releaseGraceMs: 5000 });
    await fx.manager.spawn({ name: 'cat1', cli: 'cat' });
    const outcome = await fx.manager.release('cat1');
    expect(outcome).toMatchObject({ name: 'cat1', endedBy: 'SIGTERM', signal: 'SIGTERM', exitCode: null });
    expect(fx.manager.getWorker('cat1')?.status).toBe('exited');
    expect(await fx.manager.release('cat1')).toMatchObject({ endedBy: 'already-exited' });
  });

  it('release escalates to SIGKILL after the grace period when the group ignores SIGTERM', async () => {
    fx = makeFixture({ releaseGraceMs: 300 });
    const m = fx.manager;
    await m.spawn({ name: 'stubborn', cli: 'bash', args: ['-c', 'trap "" TERM; echo ready; sleep 100; echo never'] });
    await waitFor(async () => (await outputText(m, 'stubborn')).includes('ready'), 10_000, 'ready');
    const pid = m.getWorker('stubborn')!.pid!;
    const outcome = await m.release('stubborn');
    expect(outcome).toMatchObject({ endedBy: 'SIGKILL', signal: 'SIGKILL' });
    // Nothing of the worker's process group is left (the sleep child included).
    expect(() => process.kill(-pid, 0)).toThrow();
  });

  it('force release kills at once', async () => {
    fx = makeFixture({ releaseGraceMs: 60_000 });
    await fx.manager.spawn({ name: 'f', cli: 'bash', args: ['-c', 'trap "" TERM; sleep 100'] });
    expect(await fx.manager.release('f', { force: true })).toMatchObject({ endedBy: 'force', signal: 'SIGKILL' });
  });

  it('releaseAll leaves no process behind, background children included', async () => {
    fx = makeFixture({ releaseGraceMs: 300 });
    const m = fx.manager;
    await m.spawn({ name: 'bg', cli: 'bash', args: ['-c', 'sleep 100 & trap "" TERM; echo up; wait'] });
    await m.spawn({ name: 'c2', cli: 'cat' });
    await waitFor(async () => (await outputText(m, 'bg')).includes('up'), 10_000, 'up');
    const pids = m.listWorkers().map((w) => w.pid!);
    await m.releaseAll();
    for (const pid of pids) expect(() => process.kill(-pid, 0)).toThrow();
    expect(m.listWorkers().every((w) => w.status === 'exited')).toBe(true);
  });

  it('records a signal when the process is killed by one', async () => {
    fx = makeFixture();
    await fx.manager.spawn({ name: 'k', cli: 'bash', args: ['-c', 'kill -USR1 $$'] });
    const info = await exitOf(fx.manager, 'k');
    expect(info.signal).toBe('SIGUSR1');
  });

  it('delivers the task as the first input once the agent is quiet, and says so', async () => {
    fx = makeFixture();
    const m = fx.manager;
    await m.spawn({ name: 't', cli: 'bash', args: ['--norc', '--noprofile'], task: 'echo TASK-$((40+2))' });
    await waitFor(() => m.getWorker('t')?.taskDelivered, 15_000, 'task delivered');
    await waitFor(async () => (await outputText(m, 't')).includes('TASK-42'), 10_000, 'task output');
  });

  it('goes idle when quiet and back to running on output', async () => {
    fx = makeFixture();
    const m = fx.manager;
    const statuses: string[] = [];
    m.on('status', (i) => i.name === 'i' && statuses.push(i.status));
    await m.spawn({ name: 'i', cli: 'cat' });
    await waitFor(() => m.getWorker('i')?.status === 'idle', 10_000, 'idle');
    m.sendWorkerInput('i', 'hello\r');
    await waitFor(() => m.getWorker('i')?.status === 'running', 10_000, 'running again');
    expect(statuses.slice(0, 3)).toEqual(['running', 'idle', 'running']);
  });

  it('snapshot offset is exactly the bytes the screen reflects', async () => {
    fx = makeFixture();
    const m = fx.manager;
    const script = 'let i=0;const t=setInterval(()=>{process.stdout.write(`\\x1b[3${i%8}mline ${i}\\x1b[0m ${"x".repeat(i%50)}\\r\\n`);if(++i===400){clearInterval(t);}},2)';
    await m.spawn({ name: 'snap', cli: 'node', args: ['-e', script], cols: 80, rows: 24 });
    await waitFor(() => (m.getWorker('snap')?.outputBytes ?? 0) > 2000, 10_000, 'some output');
    const snap = await m.snapshot('snap');
    expect(snap.offset).toBeGreaterThan(0);
    await exitOf(m, 'snap');
    const all = Buffer.from(await outputText(m, 'snap'), 'utf8');
    // A fresh terminal fed exactly the first `offset` bytes shows the same screen.
    const term = new xtermHeadless.Terminal({ cols: 80, rows: 24, scrollback: 1000, allowProposedApi: true });
    const ser = new SerializeAddon();
    term.loadAddon(ser);
    await new Promise<void>((r) => term.write(all.subarray(0, snap.offset), r));
    expect(ser.serialize()).toBe(snap.data);
    term.dispose();
    // And the final snapshot covers every byte.
    const last = await m.snapshot('snap');
    expect(last.offset).toBe(all.length);
  });

  it('after a restart, records of running workers are marked exited and stay listed with their logs', async () => {
    fx = makeFixture();
    await fx.manager.spawn({ name: 'old', cli: 'bash', args: ['-c', 'echo persisted-output; sleep 100'] });
    await waitFor(async () => (await outputText(fx!.manager, 'old')).includes('persisted-output'), 10_000, 'output');
    await waitFor(() => fx!.storage.loadWorkers().find((w) => w.name === 'old' && w.status !== 'starting'), 5000, 'saved record');
    const second = fx.restart();
    const info = second.getWorker('old');
    expect(info?.status).toBe('exited');
    expect(info?.exitedAt).toBeGreaterThan(0);
    expect(fx.storage.loadWorkers().find((w) => w.name === 'old')?.status).toBe('exited');
    expect(await outputText(second, 'old')).toContain('persisted-output');
    const snap = await second.snapshot('old');
    expect(snap.data).toContain('persisted-output');
    second.remove('old');
    expect(second.getWorker('old')).toBeUndefined();
    expect(fx.storage.loadWorkers().find((w) => w.name === 'old')).toBeUndefined();
  });
});
