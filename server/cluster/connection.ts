import { readFileSync } from 'node:fs';
import { connect, credsAuthenticator, nkeyAuthenticator, type ConnectionOptions, type NatsConnection } from '@nats-io/transport-node';
import {
  AckPolicy, DeliverPolicy, DiscardPolicy, RetentionPolicy, StorageType, jetstream, jetstreamManager,
  type JetStreamClient, type JetStreamManager,
} from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { logger } from '../logger';
import type { ClusterConfig } from './config';
import { clusterNames, type ClusterNames } from './names';

/**
 * The node's one NATS connection, authenticated as configured, and the cluster's JetStream
 * resources (created when missing): the message stream and the directory bucket.
 */

const NANOS_PER_MS = 1_000_000;
/** Messages for an agent offline everywhere wait this long (the local retention of unacked messages). */
export const STREAM_MAX_AGE_MS = 7 * 24 * 3600_000;
/** A batch re-sent within this window after a lost PubAck is stored once. */
export const DUPLICATE_WINDOW_MS = 10 * 60_000;
/** JetStream redelivers an unacknowledged batch after this long (a node that died with it). */
export const INBOX_ACK_WAIT_MS = 10_000;
const CONNECT_TIMEOUT_MS = 5_000;

export interface ClusterConnection {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  kv: KV;
  names: ClusterNames;
  /** Largest NATS message the server takes. */
  maxPayload: number;
  /**
   * Hands what nats.js holds for the socket to it now. nats.js writes publishes in a microtask,
   * after everything else the event loop's turn still does (for a SEND: the outbox, the sender's
   * reply, other frames of the same read; ~40 µs per hop of a cross-node round trip here,
   * docs/performance.md "Cluster: where a round trip goes"). No-op if nats.js's internals moved
   * (test/cluster/send-now.test.ts fails then).
   */
  sendNow(): void;
  close(): Promise<void>;
}

/** nats.js's protocol handler, reached past its public type (pinned @nats-io/nats-core 3.x: `nc.protocol.flushPending()`). */
export function sendNowOf(nc: NatsConnection): () => void {
  const protocol = (nc as unknown as { protocol?: { flushPending?: () => void } }).protocol;
  if (typeof protocol?.flushPending !== 'function') {
    logger.debug('cluster: nats.js has no protocol.flushPending; live copies go at the end of the turn');
    return () => undefined;
  }
  return () => protocol.flushPending!();
}

export class ClusterConnectError extends Error {}

/** nats://user:pass@host:port → the URL without credentials, and the credentials. */
function splitCredentials(servers: string[]): { servers: string[]; user?: string; pass?: string } {
  let user: string | undefined;
  let pass: string | undefined;
  const clean = servers.map((s) => {
    const m = /^(nats|tls):\/\/([^@/]+)@(.+)$/.exec(s);
    if (!m) return s;
    const [u, p] = m[2].split(':');
    user = decodeURIComponent(u);
    pass = p === undefined ? undefined : decodeURIComponent(p);
    return `${m[1]}://${m[3]}`;
  });
  return { servers: clean, user, pass };
}

function readSecret(file: string, what: string): Uint8Array {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new ClusterConnectError(`Cannot read the cluster ${what} file ${file} (${(err as NodeJS.ErrnoException).code}).`);
  }
}

/** A NATS creds file (user JWT + nkey seed, as nsc writes it), or a bare user nkey seed (`SU…`). */
function credsOrNkey(file: string) {
  const bytes = readSecret(file, 'creds');
  const text = Buffer.from(bytes).toString('utf8');
  if (text.includes('BEGIN NATS USER JWT')) return credsAuthenticator(bytes);
  const seed = text.trim();
  if (/^SU[A-Z2-7]{50,}$/.test(seed)) return nkeyAuthenticator(new TextEncoder().encode(seed));
  throw new ClusterConnectError(`${file} is neither a NATS creds file (with a user JWT) nor a user nkey seed (SU…).`);
}

export function connectionOptions(config: ClusterConfig): ConnectionOptions {
  const { servers, user, pass } = splitCredentials(config.servers);
  const options: ConnectionOptions = {
    servers,
    name: `agent-relay node ${config.node}`,
    timeout: CONNECT_TIMEOUT_MS,
    // Once joined, a node never gives up on its cluster: it keeps serving locally and catches up.
    reconnect: true,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    reconnectJitter: 200,
    pingInterval: 5_000,
    maxPingOut: 2,
    // An Error (with its stack) per request only to say where a timeout started: a fifth of a
    // JetStream publish's cost, and the outbox says what it was publishing when one fails.
    noAsyncTraces: true,
  };
  if (user !== undefined) {
    options.user = user;
    if (pass !== undefined) options.pass = pass;
  }
  if (config.tokenFile) {
    const token = Buffer.from(readSecret(config.tokenFile, 'token')).toString('utf8').trim();
    if (!token) throw new ClusterConnectError(`The cluster token file ${config.tokenFile} is empty.`);
    options.token = token;
  }
  if (config.credsFile) options.authenticator = credsOrNkey(config.credsFile);
  if (servers.some((s) => s.startsWith('tls://'))) options.tls = config.tlsCaFile ? { caFile: config.tlsCaFile } : {};
  else if (servers.some((s) => !/^nats:\/\/(127\.|localhost|\[::1\])/.test(s))) {
    logger.warn({ servers }, 'cluster: nats:// without TLS to a non-loopback host; use tls:// so credentials and terminals are not sent in clear');
  }
  return options;
}

export async function connectCluster(config: ClusterConfig): Promise<ClusterConnection> {
  const names = clusterNames(config.cluster);
  let nc: NatsConnection;
  try {
    nc = await connect(connectionOptions(config));
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new ClusterConnectError(
      `Cannot join the cluster at ${splitCredentials(config.servers).servers.join(', ')} (${why}). Check that nats-server runs there with JetStream (-js) and that the credentials are right.`,
    );
  }
  try {
    const jsm = await jetstreamManager(nc);
    const js = jetstream(nc);
    const info = nc.info;
    const replicas = config.replicas ?? (info?.cluster ? Math.min(3, 1 + (info.connect_urls?.length ?? 0)) : 1);
    await ensureStream(jsm, names, replicas);
    const kv = await new Kvm(js).create(names.bucket, { history: 1, replicas });
    return {
      nc, js, jsm, kv, names,
      maxPayload: info?.max_payload ?? 1_048_576,
      sendNow: sendNowOf(nc),
      close: async () => {
        await nc.drain().catch(() => nc.close());
      },
    };
  } catch (err) {
    await nc.close().catch(() => undefined);
    const why = err instanceof Error ? err.message : String(err);
    throw new ClusterConnectError(`Joined NATS but could not set up the cluster's JetStream stream and bucket (${why}). Is JetStream enabled (nats-server -js)?`);
  }
}

async function ensureStream(jsm: JetStreamManager, names: ClusterNames, replicas: number): Promise<void> {
  const config = {
    name: names.stream,
    subjects: [names.allTo],
    // Each recipient's subject is a queue: a message leaves the stream once its inbox acknowledged it.
    retention: RetentionPolicy.Workqueue,
    storage: StorageType.File,
    discard: DiscardPolicy.New,
    max_age: STREAM_MAX_AGE_MS * NANOS_PER_MS,
    duplicate_window: DUPLICATE_WINDOW_MS * NANOS_PER_MS,
    num_replicas: replicas,
  };
  try {
    await jsm.streams.info(names.stream);
  } catch {
    try {
      await jsm.streams.add(config);
    } catch (err) {
      // Another node created it at the same moment.
      await jsm.streams.info(names.stream).catch(() => {
        throw err;
      });
    }
  }
}

/** The durable pull consumer of one recipient's subject (created on first use, kept across nodes). */
export async function ensureInboxConsumer(conn: ClusterConnection, recipient: string): Promise<string> {
  const name = conn.names.inboxConsumer(recipient);
  try {
    await conn.jsm.consumers.info(conn.names.stream, name);
  } catch {
    await conn.jsm.consumers.add(conn.names.stream, {
      durable_name: name,
      filter_subject: conn.names.to(recipient),
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: INBOX_ACK_WAIT_MS * NANOS_PER_MS,
      // One batch out at a time: a batch handed back (its reader left, or died) is the next one
      // delivered, whoever reads next, so order holds across moves and faults (with 64 out, a node
      // killed mid-flight gave reordered and repeated deliveries in test/cluster/faults.test.ts). The
      // sending outbox sizes its batches to this cycle (outbox.ts), so throughput follows the load.
      max_ack_pending: 1,
      max_deliver: -1,
    });
  }
  return name;
}
