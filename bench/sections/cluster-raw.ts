import { fork } from 'node:child_process';
import { AckPolicy, RetentionPolicy, StorageType, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { MeasureError } from '../context';
import { msSince, percentile } from '../stats';

/**
 * The engine's own floor for the cluster section's RTT, in the same run: ping-pong through JetStream
 * alone between this process and a child (two processes and nats-server, as two nodes are), with the
 * relay's stream and consumer settings (work-queue file stream, msgID, a durable pull consumer per
 * side with max_ack_pending 1, explicit ack after the message was handled) and nothing of the relay.
 * The child is this file run with `echo <url>` (bench/sections/cluster.ts starts it).
 * `rawCoreRtt`: the floor of the live copies' way (core NATS publish and subscribe, no stream), the
 * same two processes, the child run with `core-echo <url>`.
 */

const STREAM = 'BENCH_RAW';

async function side(nc: NatsConnection, durable: string, filter: string, onMessage: (body: string) => void): Promise<() => void> {
  const jsm = await jetstreamManager(nc);
  await jsm.consumers.add(STREAM, { durable_name: durable, filter_subject: filter, ack_policy: AckPolicy.Explicit, max_ack_pending: 1, ack_wait: 10_000_000_000 });
  const consumer = await jetstream(nc).consumers.get(STREAM, durable);
  let stopped = false;
  void (async () => {
    while (!stopped) {
      try {
        for await (const m of await consumer.fetch({ max_messages: 64, expires: 1_000 })) {
          onMessage(m.string());
          m.ack();
        }
      } catch {
        if (!stopped) await new Promise((r) => setTimeout(r, 100));
      }
    }
  })();
  return () => (stopped = true);
}

export async function rawJetStreamRtt(url: string, pings: number): Promise<{ p50: number; p99: number }> {
  const nc = await connect({ servers: url, noAsyncTraces: true });
  const child = fork(import.meta.filename, ['echo', url], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  try {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: STREAM, subjects: ['bench-raw.>'], retention: RetentionPolicy.Workqueue, storage: StorageType.File });
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code) => reject(new MeasureError(`cluster: the raw JetStream echo exited (${code}) before it was ready`)));
    });
    const js = jetstream(nc);
    let waiter: ((body: string) => void) | undefined;
    const stop = await side(nc, 'raw_a', 'bench-raw.a', (body) => waiter?.(body));
    const rtts: number[] = [];
    try {
      for (let i = 0; i < pings; i++) {
        const start = process.hrtime.bigint();
        await new Promise<void>((resolve, reject) => {
          const t = setTimeout(() => reject(new MeasureError(`cluster: raw JetStream ping ${i} got no pong within 10 s`)), 10_000);
          waiter = (body) => {
            if (body !== `p${i}`) return;
            clearTimeout(t);
            resolve();
          };
          js.publish('bench-raw.b', `p${i}`, { msgID: `a-${i}` }).catch(reject);
        });
        rtts.push(msSince(start));
      }
    } finally {
      stop();
    }
    return { p50: percentile(rtts, 50), p99: percentile(rtts, 99) };
  } finally {
    child.kill();
    await nc.close().catch(() => undefined);
  }
}

/** Ping-pong over core NATS between this process and a child that answers each ping at once. */
export async function rawCoreRtt(url: string, pings: number): Promise<{ p50: number; p99: number }> {
  const nc = await connect({ servers: url, noAsyncTraces: true });
  const child = fork(import.meta.filename, ['core-echo', url], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  try {
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code) => reject(new MeasureError(`cluster: the raw core NATS echo exited (${code}) before it was ready`)));
    });
    let waiter: ((body: string) => void) | undefined;
    const sub = nc.subscribe('bench-raw-core.a', { callback: (_err, m) => waiter?.(m.string()) });
    await nc.flush();
    const rtts: number[] = [];
    try {
      for (let i = 0; i < pings; i++) {
        const start = process.hrtime.bigint();
        await new Promise<void>((resolve, reject) => {
          const t = setTimeout(() => reject(new MeasureError(`cluster: raw core NATS ping ${i} got no pong within 10 s`)), 10_000);
          waiter = (body) => {
            if (body !== `p${i}`) return;
            clearTimeout(t);
            resolve();
          };
          nc.publish('bench-raw-core.b', `p${i}`);
        });
        rtts.push(msSince(start));
      }
    } finally {
      sub.unsubscribe();
    }
    return { p50: percentile(rtts, 50), p99: percentile(rtts, 99) };
  } finally {
    child.kill();
    await nc.close().catch(() => undefined);
  }
}

if (process.argv[2] === 'core-echo') {
  const nc = await connect({ servers: process.argv[3], noAsyncTraces: true });
  nc.subscribe('bench-raw-core.b', { callback: (_err, m) => nc.publish('bench-raw-core.a', m.data) });
  await nc.flush();
  process.send?.('ready');
}

if (process.argv[2] === 'echo') {
  const nc = await connect({ servers: process.argv[3], noAsyncTraces: true });
  const js = jetstream(nc);
  let n = 0;
  await side(nc, 'raw_b', 'bench-raw.b', (body) => void js.publish('bench-raw.a', body, { msgID: `b-${n++}` }).catch(() => undefined));
  process.send?.('ready');
}
