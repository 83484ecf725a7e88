import { fork, type ChildProcess } from 'node:child_process';
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

/** This file run as the echo child (`echo` or `core-echo`), once it says it is ready. */
async function forkEcho(mode: string, url: string, what: string): Promise<ChildProcess> {
  const child = fork(import.meta.filename, [mode, url], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new MeasureError(`cluster: the raw ${what} echo exited (${code}) before it was ready`)));
  });
  return child;
}

/**
 * `pings` round trips one after another: `ping(body)` sends one, and the pong arrives through the
 * callback handed to `listen` (which returns how to stop listening).
 */
async function timePings(
  pings: number,
  what: string,
  listen: (pong: (body: string) => void) => Promise<() => void>,
  ping: (body: string, i: number) => Promise<unknown> | void,
): Promise<{ p50: number; p99: number }> {
  let waiter: ((body: string) => void) | undefined;
  const stop = await listen((body) => waiter?.(body));
  const rtts: number[] = [];
  try {
    for (let i = 0; i < pings; i++) {
      const start = process.hrtime.bigint();
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new MeasureError(`cluster: raw ${what} ping ${i} got no pong within 10 s`)), 10_000);
        waiter = (body) => {
          if (body !== `p${i}`) return;
          clearTimeout(t);
          resolve();
        };
        ping(`p${i}`, i)?.catch(reject);
      });
      rtts.push(msSince(start));
    }
  } finally {
    stop();
  }
  return { p50: percentile(rtts, 50), p99: percentile(rtts, 99) };
}

export async function rawJetStreamRtt(url: string, pings: number): Promise<{ p50: number; p99: number }> {
  const nc = await connect({ servers: url, noAsyncTraces: true });
  let child: ChildProcess | undefined;
  try {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: STREAM, subjects: ['bench-raw.>'], retention: RetentionPolicy.Workqueue, storage: StorageType.File });
    child = await forkEcho('echo', url, 'JetStream');
    const js = jetstream(nc);
    return await timePings(pings, 'JetStream', (pong) => side(nc, 'raw_a', 'bench-raw.a', pong), (body, i) => js.publish('bench-raw.b', body, { msgID: `a-${i}` }));
  } finally {
    child?.kill();
    await nc.close().catch(() => undefined);
  }
}

/** Ping-pong over core NATS between this process and a child that answers each ping at once. */
export async function rawCoreRtt(url: string, pings: number): Promise<{ p50: number; p99: number }> {
  const nc = await connect({ servers: url, noAsyncTraces: true });
  let child: ChildProcess | undefined;
  try {
    child = await forkEcho('core-echo', url, 'core NATS');
    const listen = async (pong: (body: string) => void) => {
      const sub = nc.subscribe('bench-raw-core.a', { callback: (_err, m) => pong(m.string()) });
      await nc.flush();
      return () => sub.unsubscribe();
    };
    return await timePings(pings, 'core NATS', listen, (body) => nc.publish('bench-raw-core.b', body));
  } finally {
    child?.kill();
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
