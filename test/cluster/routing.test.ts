import { afterEach, describe, expect, it } from 'vitest';
import { RawClient, env } from '../daemon/helpers';
import type { NodeStack } from './stack';
import { until, useTwoNodes } from './two-nodes';

/**
 * Issue 12, item 2, beyond direct messages and `*` (test/cluster/messages.test.ts): `@users`, topics
 * and blocking sync sends across nodes, over the wire protocol.
 */

let a: NodeStack;
let b: NodeStack;
const open: RawClient[] = [];

/** A client that acknowledges what it gets, as a real one does (each recipient's queue moves on only then), unless `manualAck`. */
async function hello(node: NodeStack, name: string, payload: Record<string, unknown> = {}, manualAck = false): Promise<RawClient> {
  const c = await RawClient.hello(node.socketPath, name, payload);
  open.push(c);
  if (!manualAck) {
    let acked = 0;
    c.socket.on('data', () => {
      for (const f of c.of('DELIVER').slice(acked)) c.send(env('ACK', { ack_id: f.id, seq: (f.delivery as { seq: number }).seq }));
      acked = c.of('DELIVER').length;
    });
  }
  return c;
}

const online = (on: NodeStack, name: string) => until(() => on.cluster.directory.agent(name)?.online === true, `${on.node} to see ${name}`);

useTwoNodes({
  ready: async (n) => {
    ({ a, b } = n);
  },
});

afterEach(() => {
  for (const c of open.splice(0)) c.socket.destroy();
});


describe('routing across nodes', () => {
  it('@users reaches users on the other node, not agents', async () => {
    const alice = await hello(a, 'Alice');
    const pat = await hello(b, 'Pat', { entityType: 'user' });
    const bob = await hello(b, 'Bob');
    await online(a, 'Pat');
    await online(a, 'Bob');
    alice.send(env('SEND', { kind: 'message', body: 'for the people' }, { to: '@users' }));
    const got = await pat.waitFor((f) => f.type === 'DELIVER', 15_000);
    expect(got).toMatchObject({ from: 'Alice', payload: { body: 'for the people' } });
    expect((got.delivery as { originalTo?: string }).originalTo).toBe('@users');
    // Bob is an agent: a message after it (to him directly) arrives, the @users one never did.
    alice.send(env('SEND', { kind: 'message', body: 'just bob' }, { to: 'Bob' }));
    await bob.waitFor((f) => f.type === 'DELIVER', 15_000);
    expect(bob.of('DELIVER').map((f) => (f.payload as { body: string }).body)).toEqual(['just bob']);
    expect(alice.of('ERROR')).toEqual([]);
  });

  it('a broadcast on a topic reaches only the other node\'s subscribers of it', async () => {
    const alice = await hello(a, 'Alice');
    const carol = await hello(b, 'Carol');
    const dave = await hello(b, 'Dave');
    carol.send(env('SUBSCRIBE', {}, { topic: 'builds' }));
    await online(a, 'Carol');
    await online(a, 'Dave');
    // Subscriptions stay on their node: give B a moment to take Carol's before Alice sends.
    await new Promise((r) => setTimeout(r, 200));
    alice.send(env('SEND', { kind: 'message', body: 'build 42 green' }, { to: '*', topic: 'builds' }));
    alice.send(env('SEND', { kind: 'message', body: 'to everyone' }, { to: '*' }));
    await carol.waitForCount('DELIVER', 2, 15_000);
    await dave.waitFor((f) => f.type === 'DELIVER', 15_000);
    expect(carol.of('DELIVER').map((f) => (f.payload as { body: string }).body)).toEqual(['build 42 green', 'to everyone']);
    expect(carol.of('DELIVER')[0]).toMatchObject({ topic: 'builds' });
    await new Promise((r) => setTimeout(r, 300));
    expect(dave.of('DELIVER').map((f) => (f.payload as { body: string }).body)).toEqual(['to everyone']);
  });

  it('a blocking sync send to an agent on the other node gets that agent\'s ACK with its response', async () => {
    const alice = await hello(a, 'Alice');
    const bob = await hello(b, 'Bob', {}, true);
    await online(a, 'Bob');
    alice.send(env('SEND', { kind: 'message', body: 'approve?' }, { to: 'Bob', payload_meta: { sync: { correlationId: 'c-x', timeoutMs: 20_000, blocking: true } } }));
    const deliver = await bob.waitFor((f) => f.type === 'DELIVER', 15_000);
    expect(deliver.payload_meta).toMatchObject({ sync: { correlationId: 'c-x', blocking: true } });
    bob.send(env('ACK', { ack_id: deliver.id, seq: (deliver.delivery as { seq: number }).seq, correlationId: 'c-x', response: 'yes' }));
    const ack = await alice.waitFor((f) => f.type === 'ACK', 15_000);
    expect(ack).toMatchObject({ from: 'Bob', payload: { correlationId: 'c-x', response: 'yes' } });
  });
});
