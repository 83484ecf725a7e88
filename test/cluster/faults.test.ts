import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { RelayClient } from '@agent-relay/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { startNats, startNatsCluster, type NatsServer } from './nats';
import { startProxy, type CuttableProxy } from './proxy';
import { startNodeStack, type NodeStack } from './stack';
import { RawClient, env } from '../daemon/helpers';

/**
 * Issue 12, item 7: faults, each with at least 5,000 messages (5,000 each way where both ways), 0 lost and 0 duplicated at the
 * application (the published SDK's onMessage), in order per sender. The raw DELIVER frames are
 * counted too: a frame sent again under the same DELIVER id (which v1 clients drop) is reported.
 */

const ROOT = resolve(import.meta.dirname, '..', '..');
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await Promise.resolve(c()).catch(() => undefined);
}, 120_000);

interface Peer {
  client: RelayClient;
  /** Bodies as onMessage saw them (after the SDK's de-duplication by DELIVER id). */
  app: string[];
  /** Bodies of every DELIVER frame that reached the client. */
  raw: string[];
}

async function peer(socketPath: string, agentName: string, reconnect = false): Promise<Peer> {
  const client = new RelayClient({ socketPath, agentName, quiet: true, reconnect, maxReconnectAttempts: 1000, reconnectDelayMs: 200, reconnectMaxDelayMs: 500 });
  const p: Peer = { client, app: [], raw: [] };
  client.onMessage = (_from: string, payload: { body: string }) => p.app.push(payload.body);
  const c = client as unknown as { handleDeliver(env: { payload: { body: string } }): void };
  const original = c.handleDeliver.bind(client);
  c.handleDeliver = (env) => {
    p.raw.push(env.payload.body);
    original(env);
  };
  cleanups.push(() => client.destroy());
  await client.connect();
  return p;
}

/** Sends `count` messages `${prefix}-${i}`, 50 every 10 ms; a send the client could not write (not connected) is tried again. */
async function pump(from: Peer, to: string, prefix: string, count: number): Promise<void> {
  let i = 0;
  while (i < count) {
    for (let k = 0; k < 50 && i < count; k++) {
      if (!from.client.sendMessage(to, `${prefix}-${i}`)) break;
      i++;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

function tally(received: string[], prefix: string, count: number) {
  const mine = received.filter((b) => b.startsWith(`${prefix}-`)).map((b) => Number(b.slice(prefix.length + 1)));
  const seen = new Set(mine);
  let outOfOrder = 0;
  for (let k = 1; k < mine.length; k++) if (mine[k] < mine[k - 1]) outOfOrder++;
  return { received: mine.length, lost: count - seen.size, duplicated: mine.length - seen.size, outOfOrder };
}

async function until(check: () => boolean, what: string, timeoutMs: number, detail: () => unknown = () => ''): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(detail())}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function seen(on: NodeStack, name: string): Promise<void> {
  await until(() => {
    const r = on.cluster.directory.agent(name);
    return Boolean(r && on.cluster.directory.isOnline(r));
  }, `${on.node} to see ${name}`, 20_000);
}

async function nats1(): Promise<NatsServer> {
  const n = await startNats();
  cleanups.push(async () => {
    await n.stop().catch(() => undefined);
    n.cleanup();
  });
  return n;
}

async function node(servers: string[], name: string, project?: string): Promise<NodeStack> {
  const s = await startNodeStack({ servers, node: name, project });
  cleanups.push(() => s.stop());
  return s;
}

/** A relay node in a process of its own (test/cluster/node-main.ts): resolves with its socket once ready. */
function childNode(servers: string[], name: string, project: string): { ready: Promise<string>; child: ChildProcess } {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test/cluster/node-main.ts'), JSON.stringify({ servers, node: name, clusterName: 'test', project })], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'],
  });
  cleanups.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const ready = new Promise<string>((resolveReady, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /\{"ready":true,"socketPath":"([^"]+)"/.exec(out);
      if (m) resolveReady(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`node ${name} exited (${code}) before it was ready`)));
  });
  return { ready, child };
}

function report(name: string, figures: Record<string, unknown>): void {
  process.stdout.write(`[cluster faults] ${name}: ${JSON.stringify(figures)}\n`);
}

describe('cluster faults: 0 lost, 0 duplicated', () => {
  it('a node\'s NATS connection drops for 3 s and returns: messages both ways (5,000 each) go through', async () => {
    const nats = await nats1();
    const proxy: CuttableProxy = await startProxy(nats.port);
    cleanups.push(() => proxy.close());
    const a = await node([proxy.url], 'A');
    const b = await node([nats.url], 'B');
    const alice = await peer(a.socketPath, 'Alice');
    const bob = await peer(b.socketPath, 'Bob');
    await seen(a, 'Bob');
    await seen(b, 'Alice');
    const N = 5_000;
    const sending = Promise.all([pump(alice, 'Bob', 'ab', N), pump(bob, 'Alice', 'ba', N)]);
    await until(() => bob.app.length > 300, 'traffic before the cut', 30_000);
    proxy.cut();
    await new Promise((r) => setTimeout(r, 3_000));
    expect(a.cluster.status().connected).toBe(false);
    proxy.restore();
    await sending;
    await until(() => tally(bob.app, 'ab', N).lost === 0 && tally(alice.app, 'ba', N).lost === 0, 'every message', 120_000, () => [tally(bob.app, 'ab', N), tally(alice.app, 'ba', N)]);
    await new Promise((r) => setTimeout(r, 1_000));
    const ab = tally(bob.app, 'ab', N);
    const ba = tally(alice.app, 'ba', N);
    report('connection drop', { ab, ba, rawDuplicates: { ab: tally(bob.raw, 'ab', N).duplicated, ba: tally(alice.raw, 'ba', N).duplicated }, outboxA: a.cluster.status().outbox });
    expect(ab).toMatchObject({ received: N, lost: 0, duplicated: 0, outOfOrder: 0 });
    expect(ba).toMatchObject({ received: N, lost: 0, duplicated: 0, outOfOrder: 0 });
  }, 240_000);

  it('a node killed with messages in flight to it: they are delivered after it returns', async () => {
    const nats = await nats1();
    const a = await node([nats.url], 'A');
    const project = mkdtempSync(join(tmpdir(), 'relay-node-B-'));
    cleanups.push(() => rmSync(project, { recursive: true, force: true }));
    let b: ChildProcess | undefined;
    const startB = async () => {
      const started = childNode([nats.url], 'B', project);
      b = started.child;
      return started.ready;
    };
    const socketB = await startB();
    const alice = await peer(a.socketPath, 'Alice');
    const bob = await peer(socketB, 'Bob', true);
    await seen(a, 'Bob');
    const N = 5_000;
    const sending = pump(alice, 'Bob', 'ab', N);
    await until(() => bob.app.length > 1_000, 'traffic before the kill', 60_000);
    b!.kill('SIGKILL');
    await new Promise((r) => b!.once('exit', r));
    const atKill = bob.app.length;
    await new Promise((r) => setTimeout(r, 1_500));
    await startB();
    await sending;
    await until(() => tally(bob.app, 'ab', N).lost === 0, 'every message after B returned', 120_000, () => tally(bob.app, 'ab', N));
    await new Promise((r) => setTimeout(r, 1_000));
    const ab = tally(bob.app, 'ab', N);
    report('node killed', { ab, receivedBeforeKill: atKill, rawDuplicates: tally(bob.raw, 'ab', N).duplicated });
    expect(atKill).toBeLessThan(N);
    expect(ab).toMatchObject({ received: N, lost: 0, duplicated: 0, outOfOrder: 0 });
    b!.kill('SIGTERM');
  }, 240_000);

  it('a node that dies is shown unreachable within 10 s, its agents offline, its workers\' operations NODE_UNREACHABLE', async () => {
    const nats = await nats1();
    const a = await node([nats.url], 'A');
    const project = mkdtempSync(join(tmpdir(), 'relay-node-B-'));
    cleanups.push(() => rmSync(project, { recursive: true, force: true }));
    const b = childNode([nats.url], 'B', project);
    const socketB = await b.ready;
    const bob = await peer(socketB, 'Bob');
    await seen(a, 'Bob');
    await a.cluster.workers.spawn({ name: 'far', cli: 'cat', node: 'B' });
    await until(() => a.cluster.workers.getWorker('far')?.nodeReachable === true, 'far listed on A', 20_000);
    bob.client.destroy();
    b.child.kill('SIGKILL');
    const killedAt = Date.now();
    await until(() => !a.cluster.directory.isReachable('B'), 'B unreachable', 15_000);
    const after = Date.now() - killedAt;
    report('unreachable', { ms: after });
    expect(after).toBeLessThan(10_000);
    expect(a.router.listAgents().find((x) => x.name === 'Bob')).toMatchObject({ idle: true, node: 'B' });
    expect(a.cluster.status().nodes.find((x) => x.node === 'B')).toMatchObject({ reachable: false });
    expect(a.cluster.workers.getWorker('far')).toMatchObject({ node: 'B', nodeReachable: false });
    await expect(Promise.resolve().then(() => a.cluster.workers.sendWorkerInput('far', 'x'))).rejects.toMatchObject({ code: 'NODE_UNREACHABLE' });
    await expect(a.cluster.workers.spawn({ name: 'another', cli: 'cat', node: 'B' })).rejects.toMatchObject({ code: 'NODE_UNREACHABLE' });
  }, 120_000);

  it('a node killed while cut off from NATS: what its outbox held goes out when it starts again', async () => {
    const nats = await nats1();
    const proxy = await startProxy(nats.port);
    cleanups.push(() => proxy.close());
    const b = await node([nats.url], 'B');
    const bob = await peer(b.socketPath, 'Bob');
    const project = mkdtempSync(join(tmpdir(), 'relay-node-A-'));
    cleanups.push(() => rmSync(project, { recursive: true, force: true }));
    let a = childNode([proxy.url], 'A', project);
    const socketA = await a.ready;
    const alice = await RawClient.hello(socketA, 'Alice');
    await until(() => b.cluster.directory.agent('Alice')?.online === true, 'B to see Alice', 20_000);
    // A knows Bob (LIST_AGENTS answers for the cluster), then loses NATS.
    for (let known = false; !known; ) {
      const q = env('LIST_AGENTS', {});
      alice.send(q);
      const r = await alice.waitFor((f) => f.type === 'LIST_AGENTS_RESPONSE' && f.id === q.id);
      known = (r.payload as { agents: Array<{ name: string; idle: boolean }> }).agents.some((x) => x.name === 'Bob' && !x.idle);
      if (!known) await new Promise((res) => setTimeout(res, 100));
    }
    proxy.cut();
    const N = 5_000;
    for (let i = 0; i < N; i++) alice.send(env('SEND', { kind: 'message', body: `q-${i}` }, { to: 'Bob' }));
    const status = env('STATUS', {});
    alice.send(status);
    const st = await alice.waitFor((f) => f.type === 'STATUS_RESPONSE' && f.id === status.id, 20_000);
    const cluster = (st.payload as { cluster?: { connected: boolean; outbox: { queuedBytes: number } } }).cluster;
    expect(alice.of('ERROR')).toEqual([]);
    expect(cluster?.outbox.queuedBytes).toBeGreaterThan(0);
    // Every SEND was taken (STATUS answers after them); let this turn's outbox rows reach the disk, then kill.
    await new Promise((res) => setTimeout(res, 300));
    a.child.kill('SIGKILL');
    await new Promise((res) => a.child.once('exit', res));
    expect(tally(bob.app, 'q', N).received).toBeLessThan(N);
    proxy.restore();
    a = childNode([proxy.url], 'A', project);
    await a.ready;
    await until(() => tally(bob.app, 'q', N).lost === 0, 'every queued message after A returned', 120_000, () => tally(bob.app, 'q', N));
    await new Promise((res) => setTimeout(res, 1_000));
    const q = tally(bob.app, 'q', N);
    report('node killed while cut off', { q, rawDuplicates: tally(bob.raw, 'q', N).duplicated });
    expect(q).toMatchObject({ received: N, lost: 0, duplicated: 0, outOfOrder: 0 });
    alice.socket.destroy();
    a.child.kill('SIGTERM');
  }, 240_000);

  it('a 3-server NATS cluster with one server killed: no loss', async () => {
    const servers = await startNatsCluster();
    cleanups.push(async () => {
      for (const s of servers) {
        await s.stop().catch(() => undefined);
        s.cleanup();
      }
    });
    const urls = servers.map((s) => s.url);
    // JetStream clustering elects its leaders first.
    let a: NodeStack | undefined;
    const deadline = Date.now() + 60_000;
    while (!a) {
      try {
        a = await node(urls, 'A');
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 1_000));
      }
    }
    const b = await node([...urls].reverse(), 'B');
    const alice = await peer(a.socketPath, 'Alice');
    const bob = await peer(b.socketPath, 'Bob');
    await seen(a, 'Bob');
    await seen(b, 'Alice');
    const N = 5_000;
    const sending = Promise.all([pump(alice, 'Bob', 'ab', N), pump(bob, 'Alice', 'ba', N)]);
    await until(() => bob.app.length > 300, 'traffic before the kill', 30_000);
    const used = a.cluster.connection.nc.getServer();
    const victim = servers.find((s) => used.endsWith(`:${s.port}`)) ?? servers[0];
    await victim.kill();
    await sending;
    await until(() => tally(bob.app, 'ab', N).lost === 0 && tally(alice.app, 'ba', N).lost === 0, 'every message', 120_000, () => [tally(bob.app, 'ab', N), tally(alice.app, 'ba', N)]);
    await new Promise((r) => setTimeout(r, 1_000));
    const ab = tally(bob.app, 'ab', N);
    const ba = tally(alice.app, 'ba', N);
    report('NATS server killed', { killed: victim.port, ab, ba, rawDuplicates: { ab: tally(bob.raw, 'ab', N).duplicated, ba: tally(alice.raw, 'ba', N).duplicated } });
    expect(ab).toMatchObject({ received: N, lost: 0, duplicated: 0, outOfOrder: 0 });
    expect(ba).toMatchObject({ received: N, lost: 0, duplicated: 0, outOfOrder: 0 });
  }, 240_000);
});
