import { connect, type NatsConnection } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import type { NodeStack } from './stack';
import { SdkClients, seen, until, useTwoNodes } from './two-nodes';

/**
 * Live copies (server/cluster/live.ts, decision 0014): a message for an agent online on another
 * node goes into the stream and, beside it, straight to that node over core NATS. The copy is
 * delivered only when it is the next of its lane; the stream's copy of a message delivered live
 * settles without a second delivery; the stream is drained (everything persisted and acknowledged).
 */

let a: NodeStack;
let b: NodeStack;
let raw: NatsConnection;
const clients = new SdkClients();
const sdk = (node: NodeStack, agentName: string) => clients.connect(node, agentName);

useTwoNodes({
  ready: async (n) => {
    ({ a, b } = n);
    raw = await connect({ servers: n.nats.url });
  },
  beforeStop: async () => {
    clients.destroyAll();
    await raw?.close();
  },
});

/** What a node instance would put on `live.<node>`: one message for `to` at `lseq`. */
function liveBatch(inst: string, to: string, lseq: number, body: string): string {
  const item = { id: `live-test-${inst}-${lseq}-${body}`, from: 'Ghost', to, ts: Date.now(), payload: { kind: 'message', body }, lseq, live: true };
  return JSON.stringify({ v: 1, node: 'A', inst, items: [item] });
}

describe('live copies beside the stream', () => {
  it('2,000 messages A → B arrive once and in order, most by their live copy; every stream copy is matched and the stream is drained', async () => {
    const alice = await sdk(a, 'LAlice');
    const bob = await sdk(b, 'LBob');
    await seen(a, 'LBob');
    await until(() => b.cluster.bridge.stats().inboxes.some((i) => i.recipient === 'LBob'), 'LBob\'s inbox on B');
    const before = b.cluster.bridge.stats().live;
    const n = 2000;
    for (let i = 0; i < n; i++) {
      alice.client.sendMessage('LBob', `m${i}`);
      if (i % 100 === 99) await new Promise((r) => setTimeout(r, 5));
    }
    await until(() => bob.inbox.length >= n, `${n} messages at LBob`, 30_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(bob.inbox.map((m) => m.body)).toEqual(Array.from({ length: n }, (_, i) => `m${i}`));
    expect(new Set(bob.inbox.map((m) => m.id)).size).toBe(n);
    const live = b.cluster.bridge.stats().live;
    const delivered = live.delivered - before.delivered;
    // On a quiet machine nearly all; under load the stream's copy can come first for some.
    expect(delivered).toBeGreaterThan(n / 4);
    // Every message is in the stream too, and each one delivered live had its stream copy matched.
    await until(() => {
      const now = b.cluster.bridge.stats().live;
      return now.matched - before.matched >= delivered;
    }, 'the stream copies of the live deliveries');
    const jsm = a.cluster.connection.jsm;
    await until(() => a.cluster.bridge.stats().outbox.queuedBytes === 0, 'A\'s outbox empty');
    const consumer = await jsm.consumers.info(a.cluster.connection.names.stream, a.cluster.connection.names.inboxConsumer('LBob'));
    expect(consumer.delivered.stream_seq).toBeGreaterThan(0);
    await until(() => b.cluster.bridge.stats().inboxes.find((i) => i.recipient === 'LBob')?.unsettled === 0, 'B\'s inbox settled');
    const after = await jsm.consumers.info(a.cluster.connection.names.stream, a.cluster.connection.names.inboxConsumer('LBob'));
    expect(after.num_pending + after.num_ack_pending).toBe(0);
  });

  it('a live copy that is not the next of its lane is dropped; the next one is delivered; a repeated one is not', async () => {
    const carol = await sdk(b, 'LCarol');
    await until(() => b.cluster.bridge.stats().inboxes.some((i) => i.recipient === 'LCarol'), 'LCarol\'s inbox on B');
    const subject = b.cluster.connection.names.live('B');
    // A lane never seen starts at 1: 2 could have an earlier message still in the stream.
    raw.publish(subject, liveBatch('inst-x', 'LCarol', 2, 'second'));
    await raw.flush();
    await new Promise((r) => setTimeout(r, 300));
    expect(carol.inbox).toEqual([]);
    raw.publish(subject, liveBatch('inst-x', 'LCarol', 1, 'first'));
    raw.publish(subject, liveBatch('inst-x', 'LCarol', 2, 'second'));
    raw.publish(subject, liveBatch('inst-x', 'LCarol', 2, 'second'));
    raw.publish(subject, liveBatch('inst-x', 'LCarol', 4, 'fourth'));
    await raw.flush();
    await until(() => carol.inbox.length >= 2, 'two live messages');
    await new Promise((r) => setTimeout(r, 300));
    expect(carol.inbox.map((m) => m.body)).toEqual(['first', 'second']);
    // Malformed live traffic is dropped and said; the node goes on.
    raw.publish(subject, '{"v":1,"nope":true}');
    raw.publish(subject, liveBatch('inst-x', 'LCarol', 3, 'third'));
    await raw.flush();
    await until(() => carol.inbox.length >= 3, 'the third');
    expect(carol.inbox.map((m) => m.body)).toEqual(['first', 'second', 'third']);
    // Gone and back: its lanes are forgotten, so nothing live goes in before the stream has brought
    // again what it had not acknowledged (lseq 4 would have been the next one).
    carol.client.destroy();
    await until(() => !b.cluster.bridge.stats().inboxes.some((i) => i.recipient === 'LCarol'), 'LCarol gone from B');
    const again = await sdk(b, 'LCarol');
    await until(() => b.cluster.bridge.stats().inboxes.some((i) => i.recipient === 'LCarol'), 'LCarol back on B');
    const droppedBefore = b.cluster.bridge.stats().live.dropped;
    raw.publish(subject, liveBatch('inst-x', 'LCarol', 4, 'fourth'));
    await raw.flush();
    await until(() => b.cluster.bridge.stats().live.dropped > droppedBefore, 'the fourth dropped');
    expect(again.inbox).toEqual([]);
    // A recipient that is not connected here gets nothing live (the stream is its way).
    const dropped = b.cluster.bridge.stats().live.dropped;
    raw.publish(subject, liveBatch('inst-y', 'Nobody', 1, 'lost?'));
    await raw.flush();
    await until(() => b.cluster.bridge.stats().live.dropped > dropped, 'the copy for Nobody dropped');
  });
});
