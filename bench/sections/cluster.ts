import { spawn, type ChildProcess } from 'node:child_process';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { RelayClient } from '../../lib/sdk';
import { clusterNames } from '../../server/cluster/names';
import { startNats, type NatsServer } from '../../test/cluster/nats';
import { floodOneWay, pingPong } from '../flood';
import { MeasureError, type BenchContext, type SectionResult } from '../context';
import { rawCoreRtt, rawJetStreamRtt } from './cluster-raw';
import { percentile, round } from '../stats';

/**
 * Issue 12: relay nodes joined through NATS JetStream (docs/cluster.md). One real nats-server on a
 * random loopback port and two nodes, each its own process (test/cluster/node-main.ts); our SDK as
 * `bench-a` on node A and `bench-b` on node B. Cross-node ping-pong RTT and a one-way flood whose
 * every message is persisted in the stream on the way, beside the same two figures between two
 * clients of one plain relay (no cluster) in the same run. The flood is timed until the stream holds
 * nothing more for bench-b (persisted, delivered, acknowledged).
 */

const ROOT = resolve(import.meta.dirname, '..', '..');

interface NodeProc {
  socketPath: string;
  child: ChildProcess;
}

function startNode(root: string, options: Record<string, unknown>): Promise<NodeProc> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test/cluster/node-main.ts'), JSON.stringify({ ...options, project: join(root, `node-${String(options.node)}`) })], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, AGENT_RELAY_HOME: join(root, 'home') },
  });
  return new Promise((resolveNode, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /\{"ready":true,"socketPath":"([^"]+)"/.exec(out);
      if (m) resolveNode({ socketPath: m[1], child });
    });
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.once('exit', (code) => reject(new MeasureError(`cluster: node ${String(options.node)} exited (${code}) before it was ready: ${err.slice(-500)}`)));
  });
}

async function stopNode(n: NodeProc | undefined): Promise<void> {
  if (!n || n.child.exitCode !== null) return;
  const exited = new Promise((r) => n.child.once('exit', r));
  n.child.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
  if (n.child.exitCode === null) n.child.kill('SIGKILL');
}

interface Pair {
  rtt_p50: number;
  rtt_p99: number;
  msgs_per_s: number;
  lost: number;
  duplicates: number;
}

/** Ping-pong RTTs, then a one-way flood with at most `window` in flight, counted by body. */
async function measurePair(socketA: string, socketB: string, pings: number, oneWay: number, window: number, settled?: () => Promise<void>): Promise<Pair> {
  const a = new RelayClient({ name: 'bench-a', socketPath: socketA, reconnect: false });
  const b = new RelayClient({ name: 'bench-b', socketPath: socketB, reconnect: false });
  await a.connect();
  await b.connect();
  try {
    // The other node learns of bench-b through the directory: wait until a message gets through.
    let warm = false;
    b.onMessage((m) => {
      if (m.body === 'warm') warm = true;
      else if (m.body.startsWith('p')) b.send('bench-a', m.body);
    });
    const warmDeadline = Date.now() + 20_000;
    while (!warm) {
      if (Date.now() > warmDeadline) throw new MeasureError('cluster: bench-b never got a first message');
      try {
        a.send('bench-b', 'warm');
      } catch {
        // Not known on A yet: NOT_FOUND; try again.
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    const rtts = await pingPong(a, pings, 'cluster');

    const { received, duplicates, seconds } = await floodOneWay(a, b, { count: oneWay, window, label: 'cluster', stallMs: 15_000, drainMs: 30_000, settled });
    return { rtt_p50: percentile(rtts, 50), rtt_p99: percentile(rtts, 99), msgs_per_s: Math.round(received / seconds), lost: oneWay - received, duplicates };
  } finally {
    await a.disconnect().catch(() => undefined);
    await b.disconnect().catch(() => undefined);
  }
}

export async function clusterSection(ctx: BenchContext, out: SectionResult): Promise<void> {
  const pings = ctx.args.quick ? 300 : 1000;
  const oneWay = ctx.args.quick ? 5_000 : 20_000;
  const window = 1024;
  out.load_1m = round(loadavg()[0]);
  let nats: NatsServer | undefined;
  const nodes: NodeProc[] = [];
  try {
    // Single node, in the same run: a plain relay (no cluster), both clients on it.
    const single = await startNode(ctx.root, { node: 'S', servers: [], noCluster: true });
    nodes.push(single);
    const s = await measurePair(single.socketPath, single.socketPath, pings, oneWay, window);
    Object.assign(out, { single_rtt_p50_ms: round(s.rtt_p50), single_rtt_p99_ms: round(s.rtt_p99), single_msgs_per_s: s.msgs_per_s });
    await stopNode(single);

    nats = await startNats();
    const a = await startNode(ctx.root, { node: 'A', servers: [nats.url], clusterName: 'bench' });
    nodes.push(a);
    const b = await startNode(ctx.root, { node: 'B', servers: [nats.url], clusterName: 'bench' });
    nodes.push(b);
    // The flood's time runs until bench-b's queue in the stream is empty: every message persisted,
    // delivered and acknowledged there, not only received (live copies arrive before their stream copy).
    const watcher = await connect({ servers: nats.url, noAsyncTraces: true });
    const names = clusterNames('bench');
    const jsm = await jetstreamManager(watcher);
    const settled = async () => {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const info = await jsm.consumers.info(names.stream, names.inboxConsumer('bench-b'));
        if (info.num_pending + info.num_ack_pending === 0) return;
        if (Date.now() > deadline) throw new MeasureError(`cluster: bench-b's stream queue still holds ${info.num_pending + info.num_ack_pending} after the flood`);
        await new Promise((r) => setTimeout(r, 2));
      }
    };
    const c = await measurePair(a.socketPath, b.socketPath, pings, oneWay, window, settled).finally(() => watcher.close());
    Object.assign(out, {
      rtt_p50_ms: round(c.rtt_p50),
      rtt_p99_ms: round(c.rtt_p99),
      msgs_per_s: c.msgs_per_s,
      lost: c.lost,
      duplicates: c.duplicates,
      rtt_ratio: round(c.rtt_p50 / s.rtt_p50),
    });
    // The engine's floor: the same round trip through JetStream alone (no relay), same server, same run.
    const raw = await rawJetStreamRtt(nats.url, pings);
    Object.assign(out, { raw_js_rtt_p50_ms: round(raw.p50), raw_js_rtt_p99_ms: round(raw.p99) });
    // The live copies' floor: core NATS between two processes, no stream, nothing of the relay.
    const core = await rawCoreRtt(nats.url, pings);
    Object.assign(out, { raw_core_rtt_p50_ms: round(core.p50), raw_core_rtt_p99_ms: round(core.p99) });
    if (c.lost > 0) ctx.note(`cluster: ${c.lost} of ${oneWay} cross-node messages never arrived`);
    ctx.note(`cluster: measured at a 1-minute load average of ${out.load_1m} on ${ctx.args.quick ? 'quick' : 'full'} sizes`);
  } finally {
    for (const n of nodes) await stopNode(n);
    if (nats) {
      await nats.stop().catch(() => undefined);
      nats.cleanup();
    }
  }
}
