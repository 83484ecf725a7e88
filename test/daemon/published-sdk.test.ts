import { RelayClient } from '@agent-relay/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { RawClient, env, sleep, startTestDaemon, type TestDaemon } from './helpers';

/** The published v1 client (@agent-relay/sdk 2.1.14) against our daemon over a real socket. */

let d: TestDaemon;
const clients: RelayClient[] = [];

interface Received {
  from: string;
  body: string;
  originalTo?: string;
}

function sdkClient(agentName: string, extra: Record<string, unknown> = {}): { client: RelayClient; inbox: Received[] } {
  const client = new RelayClient({ socketPath: d.socketPath, agentName, quiet: true, reconnect: false, ...extra });
  const inbox: Received[] = [];
  client.onMessage = (from: string, payload: { body: string }, _id: string, _meta: unknown, originalTo?: string) => {
    inbox.push({ from, body: payload.body, originalTo });
  };
  clients.push(client);
  return { client, inbox };
}

async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(20);
  }
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await d?.stop();
});

describe('published @agent-relay/sdk RelayClient', () => {
  it('connects and exchanges messages both ways with another client', async () => {
    d = await startTestDaemon();
    const alice = sdkClient('Alice');
    const bob = sdkClient('Bob');
    await alice.client.connect();
    await bob.client.connect();
    expect(alice.client.sendMessage('Bob', 'hi bob')).toBe(true);
    await until(() => bob.inbox.length === 1);
    expect(bob.inbox[0]).toEqual({ from: 'Alice', body: 'hi bob', originalTo: undefined });
    bob.client.sendMessage('Alice', 'hi alice');
    await until(() => alice.inbox.length === 1);
    expect(alice.inbox[0]).toMatchObject({ from: 'Bob', body: 'hi alice' });
    // The SDK ACKs every DELIVER: nothing is left to redeliver.
    await until(() => d.router.inflightCount === 0);
  });

  it('broadcasts to every other client, with originalTo *', async () => {
    d = await startTestDaemon();
    const a = sdkClient('A');
    const b = sdkClient('B');
    const c = sdkClient('C');
    for (const x of [a, b, c]) await x.client.connect();
    a.client.broadcast('everyone');
    await until(() => b.inbox.length === 1 && c.inbox.length === 1);
    expect(b.inbox[0]).toEqual({ from: 'A', body: 'everyone', originalTo: '*' });
    await sleep(50);
    expect(a.inbox).toHaveLength(0);
  });

  it('gets STATUS and LIST_AGENTS answers', async () => {
    d = await startTestDaemon({ daemon: { version: '9.9.9' } });
    const a = sdkClient('Alice', { cli: 'claude' });
    const b = sdkClient('Bob');
    await a.client.connect();
    await b.client.connect();
    const status = (await a.client.getStatus()) as { version: string; agentCount: number; socketPath: string };
    expect(status).toMatchObject({ version: '9.9.9', agentCount: 2, socketPath: d.socketPath });
    const agents = (await a.client.listAgents()) as { name: string; cli?: string; idle: boolean }[];
    expect(agents).toEqual(expect.arrayContaining([{ name: 'Alice', cli: 'claude', idle: false }, { name: 'Bob', idle: false }]));
    const connected = (await a.client.listConnectedAgents()) as { name: string }[];
    expect(connected.map((x) => x.name).sort()).toEqual(['Alice', 'Bob']);
    b.client.sendMessage('Alice', 'for the inbox');
    await until(() => a.inbox.length === 1);
    const inbox = (await a.client.getInbox()) as { body: string; from: string }[];
    expect(inbox).toEqual([expect.objectContaining({ from: 'Bob', body: 'for the inbox' })]);
    const messages = (await a.client.queryMessages({ order: 'asc' })) as { body: string }[];
    expect(messages.map((m) => m.body)).toEqual(['for the inbox']);
  });

  it('receives after reconnecting a message sent while it was disconnected', async () => {
    d = await startTestDaemon();
    const bob = sdkClient('Bob');
    const alice = sdkClient('Alice');
    await bob.client.connect();
    await alice.client.connect();
    bob.client.disconnect();
    await until(() => !d.router.isOnline('Bob'));
    alice.client.sendMessage('Bob', 'while you were away');
    await sleep(100);
    expect(bob.inbox).toHaveLength(0);
    await bob.client.connect();
    await until(() => bob.inbox.length === 1);
    expect(bob.inbox[0]).toMatchObject({ from: 'Alice', body: 'while you were away' });
  });

  it('completes sendAndWait when the recipient ACKs with the correlationId', async () => {
    d = await startTestDaemon();
    const alice = sdkClient('Alice');
    await alice.client.connect();
    const bob = await RawClient.hello(d.socketPath, 'Bob');
    try {
      const waiting = alice.client.sendAndWait('Bob', 'approve?', { timeoutMs: 5000 });
      const deliver = await bob.waitFor((f) => f.type === 'DELIVER');
      const sync = (deliver.payload_meta as { sync: { correlationId: string } }).sync;
      bob.send(env('ACK', { ack_id: deliver.id, seq: 1, correlationId: sync.correlationId, response: 'approved' }));
      await expect(waiting).resolves.toMatchObject({ correlationId: sync.correlationId, response: 'approved' });
    } finally {
      bob.close();
    }
  });

  it('gets a SPAWN_RESULT failure, not silence, from a daemon without workers', async () => {
    d = await startTestDaemon();
    const alice = sdkClient('Alice');
    await alice.client.connect();
    const result = await alice.client.spawn({ name: 'W1', cli: 'bash' });
    expect(result).toMatchObject({ success: false, code: 'INTERNAL', error: 'workers are not available in this daemon' });
  });
});
