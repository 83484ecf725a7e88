import { describe, expect, it } from 'vitest';
import { RawClient, env } from '../daemon/helpers';
import type { NodeStack } from './stack';
import { SdkClients, seen, until, useTwoNodes } from './two-nodes';

/**
 * Issue 12, acceptance 1: two nodes on one NATS server; the published v1 SDK (@agent-relay/sdk
 * 2.1.14) as Alice on node A and Bob on node B.
 */

let a: NodeStack;
let b: NodeStack;
const clients = new SdkClients();
const sdk = (node: NodeStack, agentName: string) => clients.connect(node, agentName);

useTwoNodes({
  ready: async (n) => {
    ({ a, b } = n);
  },
  beforeStop: () => clients.destroyAll(),
});

describe('messages across nodes (published SDK)', () => {
  it('Alice on A and Bob on B exchange messages both ways, in order', async () => {
    const alice = await sdk(a, 'Alice');
    const bob = await sdk(b, 'Bob');
    await seen(a, 'Bob');
    await seen(b, 'Alice');
    for (let i = 0; i < 20; i++) expect(alice.client.sendMessage('Bob', `to bob ${i}`)).toBe(true);
    for (let i = 0; i < 20; i++) bob.client.sendMessage('Alice', `to alice ${i}`);
    await until(() => bob.inbox.length === 20 && alice.inbox.length === 20, 'both inboxes');
    expect(bob.inbox.map((m) => m.body)).toEqual(Array.from({ length: 20 }, (_, i) => `to bob ${i}`));
    expect(alice.inbox.map((m) => m.body)).toEqual(Array.from({ length: 20 }, (_, i) => `to alice ${i}`));
    expect(bob.inbox.every((m) => m.from === 'Alice')).toBe(true);
    expect(alice.inbox.every((m) => m.from === 'Bob')).toBe(true);
    // Acknowledged end to end: the sending node marks its copy acked when the other node says so.
    await until(() => a.router.queryMessages({ from: 'Alice', limit: 100 }).every((m) => m.status === 'acked'), 'acks back on A');
    // Nothing left in the stream or waiting on either side.
    await until(() => b.cluster.bridge.stats().inboxes.every((i) => i.unsettled === 0), 'B inbox settled');
    alice.client.destroy();
    bob.client.destroy();
    await seen(a, 'Bob', false);
  });

  it('a broadcast reaches agents on both nodes; LIST_AGENTS answers for the cluster with node', async () => {
    const alice = await sdk(a, 'Alice');
    const bob = await sdk(b, 'Bob');
    const carol = await sdk(a, 'Carol');
    await seen(a, 'Bob');
    await seen(b, 'Carol');
    carol.client.broadcast('hello everyone');
    await until(() => alice.inbox.length === 1 && bob.inbox.length === 1, 'broadcast on both nodes');
    expect(bob.inbox[0]).toMatchObject({ from: 'Carol', body: 'hello everyone', originalTo: '*' });
    expect(alice.inbox[0]).toMatchObject({ from: 'Carol', body: 'hello everyone', originalTo: '*' });
    expect(carol.inbox).toEqual([]);
    const agents = await alice.client.listAgents();
    const byName = new Map(agents.map((x: { name: string; node?: string }) => [x.name, x]));
    expect(byName.get('Bob')).toMatchObject({ node: 'B' });
    expect(byName.get('Carol')).toMatchObject({ node: 'A' });
    for (const c of [alice, bob, carol]) c.client.destroy();
    await seen(a, 'Bob', false);
    await seen(b, 'Carol', false);
  });

  it('a message to Bob while he is disconnected arrives when he reconnects to node A instead', async () => {
    const alice = await sdk(a, 'Alice');
    const bob1 = await sdk(b, 'Bob');
    await seen(a, 'Bob');
    bob1.client.destroy();
    await seen(a, 'Bob', false);
    for (let i = 0; i < 5; i++) alice.client.sendMessage('Bob', `while away ${i}`);
    await new Promise((r) => setTimeout(r, 300));
    const bob2 = await sdk(a, 'Bob');
    await until(() => bob2.inbox.length === 5, 'held messages on the new node');
    expect(bob2.inbox.map((m) => m.body)).toEqual([0, 1, 2, 3, 4].map((i) => `while away ${i}`));
    // Delivered here now, after the backlog: order holds across the move.
    alice.client.sendMessage('Bob', 'now local');
    await until(() => bob2.inbox.length === 6, 'the local one after');
    expect(bob2.inbox[5].body).toBe('now local');
    // The directory says where he is now, and B's late "offline" does not undo it.
    await until(() => b.cluster.directory.agent('Bob')?.node === 'A' && b.cluster.directory.agent('Bob')?.online === true, 'B to see Bob on A');
    await new Promise((r) => setTimeout(r, 500));
    expect(b.cluster.directory.agent('Bob')).toMatchObject({ node: 'A', online: true });
    alice.client.destroy();
    bob2.client.destroy();
  });

  it('NOT_FOUND only when no node knows the name', async () => {
    const alice = await sdk(a, 'Alice');
    // Dave was only ever on B and is offline now: A accepts a message for him (held in the stream).
    const dave = await sdk(b, 'Dave');
    await seen(a, 'Dave');
    dave.client.destroy();
    await seen(a, 'Dave', false);
    // Nobody was ever anywhere: refused on either node.
    for (const node of [a, b]) {
      const raw = await RawClient.hello(node.socketPath, 'Prober');
      raw.send(env('SEND', { kind: 'message', body: 'x' }, { to: 'Nobody', id: 'probe-1' }));
      const error = await raw.waitFor((f) => f.type === 'ERROR');
      expect(error.payload).toMatchObject({ code: 'NOT_FOUND', replyTo: 'probe-1', fatal: false });
      raw.socket.destroy();
    }
    alice.client.sendMessage('Dave', 'for dave');
    const dave2 = await sdk(b, 'Dave');
    await until(() => dave2.inbox.length === 1, 'dave gets it');
    expect(dave2.inbox[0].body).toBe('for dave');
    alice.client.destroy();
    dave2.client.destroy();
  });
});

describe('one agent name on two nodes', () => {
  it('the newer HELLO wins across nodes: the older connection gets DUPLICATE_CONNECTION, messages go to the newer', async () => {
    const older = await RawClient.hello(b.socketPath, 'Eve');
    await seen(a, 'Eve');
    await new Promise((r) => setTimeout(r, 20));
    const newer = await RawClient.hello(a.socketPath, 'Eve');
    const kicked = await older.waitFor((f) => f.type === 'ERROR', 15_000);
    expect(kicked.payload).toMatchObject({ code: 'DUPLICATE_CONNECTION', fatal: true });
    await older.waitClosed(15_000);
    const alice = await sdk(b, 'Alice');
    await until(() => b.cluster.directory.agent('Eve')?.node === 'A', 'B to see Eve on A');
    alice.client.sendMessage('Eve', 'to the newer one');
    const got = await newer.waitFor((f) => f.type === 'DELIVER', 15_000);
    expect(got.payload).toMatchObject({ body: 'to the newer one' });
    alice.client.destroy();
    newer.socket.destroy();
  });
});
