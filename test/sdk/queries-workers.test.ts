import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RelayClient, RelayError, type RelayMessage } from '../../lib/sdk';
import { startTestDaemon, type TestDaemon } from './daemon';

let daemon: TestDaemon;
let alice: RelayClient;
let bob: RelayClient;
let probe: RelayClient;

beforeAll(async () => {
  daemon = await startTestDaemon({ spawn: true });
  alice = new RelayClient({ name: 'alice', socketPath: daemon.socketPath, reconnect: false, hello: { cli: 'test-cli', team: 'blue' } });
  bob = new RelayClient({ name: 'bob', socketPath: daemon.socketPath, reconnect: false });
  probe = new RelayClient({ name: '__probe__', socketPath: daemon.socketPath, reconnect: false });
  await Promise.all([alice.connect(), bob.connect(), probe.connect()]);
  const got = new Promise<RelayMessage[]>((resolve) => {
    const seen: RelayMessage[] = [];
    bob.onMessage((m) => {
      seen.push(m);
      if (seen.length === 2) resolve(seen);
    });
  });
  alice.send('bob', 'one', { thread: 'q' });
  alice.send('bob', 'two');
  await got;
});

afterAll(async () => {
  await Promise.all([alice, bob, probe].map((c) => c.disconnect().catch(() => {})));
  await daemon.close();
});

describe('RelayClient queries', () => {
  it('status reports the socket, counts and storage', async () => {
    const status = await alice.status();
    expect(status.socketPath).toBe(daemon.socketPath);
    expect(status.agentCount).toBeGreaterThanOrEqual(2);
    expect(status.storage.driver).toBe('memory');
  });

  it('listAgents hides internal names unless asked', async () => {
    const names = (await alice.listAgents()).map((a) => a.name);
    expect(names).toEqual(expect.arrayContaining(['alice', 'bob']));
    expect(names).not.toContain('__probe__');
    const all = (await alice.listAgents({ includeInternal: true })).map((a) => a.name);
    expect(all).toContain('__probe__');
    expect((await alice.listAgents()).find((a) => a.name === 'alice')).toMatchObject({ cli: 'test-cli', idle: false });
  });

  it('listConnectedAgents lists who is online', async () => {
    const names = (await alice.listConnectedAgents()).map((a) => a.name);
    expect(names).toEqual(expect.arrayContaining(['alice', 'bob']));
  });

  it('inbox returns messages sent to an agent', async () => {
    const inbox = await alice.inbox({ agent: 'bob' });
    expect(inbox.map((m) => m.body).sort()).toEqual(['one', 'two']);
    expect(inbox.every((m) => m.from === 'alice')).toBe(true);
  });

  it('queryMessages filters by thread', async () => {
    const messages = await alice.queryMessages({ thread: 'q' });
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ from: 'alice', to: 'bob', body: 'one', thread: 'q' });
  });
});

describe('RelayClient workers', () => {
  it('spawns a worker, waits for it to be ready, types into it, lists it and releases it', async () => {
    const outcome = await alice.spawn({ name: 'w1', cli: 'cat', waitForReady: true, timeoutMs: 20_000 });
    expect(outcome.name).toBe('w1');
    expect(outcome.pid).toBeGreaterThan(0);
    expect(outcome.ready?.name).toBe('w1');

    await alice.sendWorkerInput('w1', 'hello\r');
    const workers = await alice.listWorkers();
    expect(workers.find((w) => w.name === 'w1')).toMatchObject({ cli: 'cat', spawnerName: 'alice' });

    const released = await alice.release('w1', { force: true });
    expect(released.name).toBe('w1');
    expect(released.endedBy).toBeDefined();
  });

  it('rejects a failed spawn with the result code', async () => {
    const err = await alice.spawn({ name: 'w2', cli: 'definitely-not-a-command-xyz' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RelayError);
    expect((err as RelayError).code).toBe('CLI_NOT_FOUND');
  });

  it('rejects input to an unknown worker with NOT_FOUND', async () => {
    await expect(alice.sendWorkerInput('ghost', 'x')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(alice.release('ghost')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
