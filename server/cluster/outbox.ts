import { logger } from '../logger';
import type { ClusterConnection } from './connection';
import type { OutboxStore } from './outbox-store';
import type { WireMessage } from '../../lib/protocol';

/**
 * Messages on their way to other nodes (docs/cluster.md, Messages across nodes, 3). Per recipient
 * subject, in order, as batches with ONE batch in flight: the next is published when the previous
 * one's PubAck came, so a publish lost in a reconnect is retried (same msgID, same contents: stored
 * once) before anything after it, and the stream holds them in order. Throughput does not depend on
 * the round trip: what arrives meanwhile rides in the next batch.
 */

export const MAX_BATCH_ITEMS = 256;
export const MAX_BATCH_BYTES = 512 * 1024;
/** Past this many bytes waiting, senders to remote recipients are held back (like a congested socket). */
export const MAX_QUEUED_BYTES = 64 * 1024 * 1024;
const RETRY_MS = 500;
/** While the recipient has not acknowledged earlier messages, a batch waits this long at most for more. */
const LINGER_MS = 5;
/**
 * A batch whose messages went out live too waits this long for more: the recipient has them already,
 * and the stream's work (store, pull, ack, for nats-server and both nodes) then happens once for a
 * few messages, off the moments the live copies need the CPU (cross-node RTT p50 3.1-4.3 ms without,
 * 2.1-2.5 with, bench `cluster` on 2 cores; docs/performance.md). The outbox on disk holds them meanwhile.
 */
const LIVE_LINGER_MS = 5;
const PUBLISH_TIMEOUT_MS = 5_000;

interface Item {
  json: string;
  id: string;
  /** Its row in the store once written (removed when the stream has it). */
  seq?: number;
  /** Published by an earlier run maybe: the receiver checks its database for it. */
  recovered?: boolean;
  /** A live copy went out too (live.ts). */
  live?: boolean;
}

interface Lane {
  subject: string;
  recipient: string;
  queue: Item[];
  inFlight: Item[] | undefined;
  /** The in-flight batch's number (unique in this process: its msgID). */
  batchNo: number;
  retry: NodeJS.Timeout | undefined;
  linger: NodeJS.Timeout | undefined;
}

export class Outbox {
  private readonly lanes = new Map<string, Lane>();
  private queued = 0;
  private batches = 0;
  private readonly drainWaiters: Array<() => void> = [];
  private readonly maxBatchBytes: number;
  private closed = false;
  /** Figures for STATUS and tests. */
  readonly stats = { published: 0, batches: 0, duplicates: 0, retries: 0, oversize: 0 };

  constructor(
    private readonly conn: ClusterConnection,
    private readonly node: string,
    /** Unique per process: msgIDs of a later run never collide with this one's. */
    private readonly instance: string,
    /**
     * How many messages sent to `recipient` it has not acknowledged yet. Its inbox takes one batch
     * at a time (connection.ts): while earlier ones wait, the next batch gathers what arrives
     * (up to LINGER_MS) instead of going out as many tiny batches that would queue behind them.
     */
    private readonly unacknowledged: (recipient: string) => number = () => 0,
    /** The outbox on disk; absent with the memory storage driver. */
    private readonly store?: OutboxStore,
  ) {
    // The batch envelope and JetStream's headers must fit next to the items.
    this.maxBatchBytes = Math.min(MAX_BATCH_BYTES, Math.max(64 * 1024, conn.maxPayload - 16 * 1024));
  }

  get congested(): boolean {
    return this.queued > MAX_QUEUED_BYTES;
  }

  get queuedBytes(): number {
    return this.queued;
  }

  onceDrained(callback: () => void): void {
    if (!this.congested) callback();
    else this.drainWaiters.push(callback);
  }

  /** True while something for `recipient` is queued or in flight. */
  busy(recipient: string): boolean {
    const lane = this.lanes.get(recipient);
    return Boolean(lane && (lane.queue.length > 0 || lane.inFlight));
  }

  /** What an earlier run of this node left unpublished: queued first, in order. */
  recover(): number {
    if (!this.store) return 0;
    const rows = this.store.load();
    for (const row of rows) this.push(row.recipient, { json: row.json, id: row.id, seq: row.seq, recovered: true });
    return rows.length;
  }

  /** True while something an earlier run left is still to be published for `recipient` (no live copies then: they would overtake it). */
  hasRecovered(recipient: string): boolean {
    const lane = this.lanes.get(recipient);
    return Boolean(lane && (lane.queue.some((i) => i.recovered) || lane.inFlight?.some((i) => i.recovered)));
  }

  /** A message of this JSON can cross (a NATS message holds it). */
  fits(json: string): boolean {
    return json.length <= this.maxBatchBytes;
  }

  /** Queued for the stream (`json` is the message's JSON); one that cannot cross is said in the log. */
  enqueue(message: WireMessage, json = JSON.stringify(message)): void {
    if (this.closed) return;
    if (!this.fits(json)) {
      // Larger than a NATS message may be (max_payload): it cannot cross. Said, never silent.
      this.stats.oversize++;
      logger.error(
        { id: message.id, to: message.to, bytes: json.length, maxPayload: this.conn.maxPayload },
        'cluster: a message is larger than the NATS server takes (max_payload); it stays on this node. Raise max_payload on the NATS servers.',
      );
      return;
    }
    const item: Item = { json, id: message.id, ...(message.live ? { live: true } : {}) };
    this.store?.add(json, (seq) => {
      // Already in the stream by then (a fast PubAck): forget the row at once.
      if (item.seq === -1) this.store?.done(seq);
      else item.seq = seq;
    });
    this.push(message.to, item);
  }

  private push(recipient: string, item: Item): void {
    let lane = this.lanes.get(recipient);
    if (!lane) {
      lane = { subject: this.conn.names.to(recipient), recipient, queue: [], inFlight: undefined, batchNo: 0, retry: undefined, linger: undefined };
      this.lanes.set(recipient, lane);
    }
    lane.queue.push(item);
    this.queued += item.json.length;
    if (lane.linger && lane.queue.length >= MAX_BATCH_ITEMS) {
      clearTimeout(lane.linger);
      lane.linger = undefined;
      void this.publishNext(lane, true);
    } else if (!lane.inFlight && !lane.retry && !lane.linger) void this.publishNext(lane);
  }

  /** The recipient acknowledged something: a lingering batch may go now. */
  acknowledged(recipient: string): void {
    const lane = this.lanes.get(recipient);
    if (!lane?.linger || this.unacknowledged(recipient) > lane.queue.length) return;
    clearTimeout(lane.linger);
    lane.linger = undefined;
    void this.publishNext(lane);
  }

  close(): void {
    this.closed = true;
    for (const lane of this.lanes.values()) {
      if (lane.retry) clearTimeout(lane.retry);
      if (lane.linger) clearTimeout(lane.linger);
    }
  }

  private async publishNext(lane: Lane, lingered = false): Promise<void> {
    if (this.closed) return;
    if (!lane.inFlight) {
      if (lane.queue.length === 0) {
        this.lanes.delete(lane.recipient);
        return;
      }
      // Earlier messages still unacknowledged (beyond those queued here): gather for a moment.
      const waitForMore = this.unacknowledged(lane.recipient) > lane.queue.length;
      if (!lingered && lane.queue.length < MAX_BATCH_ITEMS && (waitForMore || lane.queue[0].live)) {
        lane.linger ??= setTimeout(() => {
          lane.linger = undefined;
          void this.publishNext(lane, true);
        }, lane.queue[0].live ? LIVE_LINGER_MS : LINGER_MS);
        return;
      }
      const batch: Item[] = [];
      let bytes = 0;
      while (lane.queue.length > 0 && batch.length < MAX_BATCH_ITEMS && (batch.length === 0 || bytes + lane.queue[0].json.length <= this.maxBatchBytes)) {
        const item = lane.queue.shift()!;
        bytes += item.json.length + 1;
        batch.push(item);
      }
      lane.inFlight = batch;
      lane.batchNo = ++this.batches;
    }
    const batch = lane.inFlight;
    const redo = batch.some((i) => i.recovered) ? ',"redo":true' : '';
    const body = `{"v":1,"node":${JSON.stringify(this.node)},"inst":${JSON.stringify(this.instance)}${redo},"items":[${batch.map((i) => i.json).join(',')}]}`;
    try {
      const ack = await this.conn.js.publish(lane.subject, body, {
        msgID: `${this.instance}:${lane.batchNo}`,
        timeout: PUBLISH_TIMEOUT_MS,
      });
      if (ack.duplicate) this.stats.duplicates++;
    } catch (err) {
      if (this.closed) return;
      this.stats.retries++;
      logger.debug({ err, to: lane.recipient, items: batch.length }, 'cluster: publish failed; retrying the same batch');
      lane.retry = setTimeout(() => {
        lane.retry = undefined;
        void this.publishNext(lane);
      }, RETRY_MS);
      lane.retry.unref();
      return;
    }
    lane.inFlight = undefined;
    this.stats.batches++;
    this.stats.published += batch.length;
    for (const item of batch) {
      this.queued -= item.json.length;
      if (item.seq !== undefined && item.seq >= 0) this.store?.done(item.seq);
      else item.seq = -1;
    }
    if (!this.congested) for (const waiter of this.drainWaiters.splice(0)) waiter();
    void this.publishNext(lane);
  }
}
