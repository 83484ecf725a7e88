import type { JsMsg } from '@nats-io/jetstream';
import { logger } from '../logger';
import type { PeerAcceptance } from '../router/types';
import { ensureInboxConsumer, type ClusterConnection } from './connection';
import { WireBatchSchema, WireMessageSchema, type WireMessage } from '../../lib/protocol';

/**
 * One recipient's queue in the stream, read by the node it is connected to (docs/cluster.md,
 * Messages across nodes, 4-6). Batches are handed to the router in stream order; a batch is
 * acknowledged to JetStream once every message in it was acknowledged by the recipient here. While a
 * batch waits for that, `working()` keeps JetStream from handing it to anyone else, for at most
 * MAX_WORKING_MS; then it is redelivered (to us or to the recipient's next node) with the same ids.
 */

const WORKING_EVERY_MS = 3_000;
const MAX_WORKING_MS = 120_000;
const CATCH_UP_POLL_MS = 100;
const FETCH_MAX = 64;
/** A pull lasts at most this long: how long a reader that stopped may still be handed a batch (which it gives back). */
export const FETCH_EXPIRES_MS = 1_000;

export interface InboxTarget {
  /**
   * One message of the stream, for the router. The target tells the sending node once the
   * recipient acknowledged it, then calls `onSettled`.
   */
  accept(message: WireMessage, onSettled: () => void, from: { senderNode: string; inst?: string; seenBefore: boolean; redo: boolean }): PeerAcceptance;
  /** Its live copy was delivered here (live.ts): 'settled' (acknowledged), 'delivered' (`onSettled` follows), else undefined. */
  settleLive(id: string, onSettled: () => void): 'settled' | 'delivered' | undefined;
}

interface Pending {
  msg: JsMsg;
  remaining: number;
  since: number;
}

export class Inbox {
  private readonly pending = new Set<Pending>();
  private workingTimer: NodeJS.Timeout | undefined;
  private catchUpTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Nothing left for it in the stream when it was last looked at: local senders may deliver directly. */
  caughtUp = false;

  constructor(
    private readonly conn: ClusterConnection,
    readonly recipient: string,
    private readonly target: InboxTarget,
  ) {}

  /** `delayMs`: the recipient was read by another node a moment ago; let that node's last pull end first. */
  async start(delayMs = 0): Promise<void> {
    const name = await ensureInboxConsumer(this.conn, this.recipient);
    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
    if (this.stopped) return;
    const consumer = await this.conn.js.consumers.get(this.conn.names.stream, name);
    if (this.stopped) return;
    this.workingTimer = setInterval(() => this.keepWorking(), WORKING_EVERY_MS).unref();
    void this.checkCaughtUp(consumer);
    void this.read(consumer);
  }

  /**
   * Short pulls, one after another, rather than a standing subscription: when the recipient leaves,
   * no pull is left on the server past FETCH_EXPIRES_MS, so nothing is handed to a reader that is
   * gone (it would sit unacknowledged for the whole ack wait before its next node got it).
   */
  private async read(consumer: { fetch(opts: { max_messages: number; expires: number }): Promise<AsyncIterable<JsMsg>> }): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      try {
        const batch = await consumer.fetch({ max_messages: FETCH_MAX, expires: FETCH_EXPIRES_MS });
        for await (const msg of batch) this.handle(msg);
        failures = 0;
      } catch (err) {
        if (this.stopped) return;
        if (failures++ === 0) logger.warn({ err, recipient: this.recipient }, 'cluster: inbox could not read the stream; retrying');
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  /** The recipient left this node: stop reading; what it had not acknowledged goes back at once. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.workingTimer) clearInterval(this.workingTimer);
    if (this.catchUpTimer) clearTimeout(this.catchUpTimer);
    for (const p of this.pending) p.msg.nak();
    this.pending.clear();
  }

  get unsettled(): number {
    return this.pending.size;
  }

  private async checkCaughtUp(consumer: { info(cached?: boolean): Promise<{ num_pending: number; num_ack_pending: number }> }): Promise<void> {
    while (!this.stopped && !this.caughtUp) {
      try {
        const info = await consumer.info();
        if (info.num_pending === 0 && info.num_ack_pending === 0 && this.pending.size === 0) {
          this.caughtUp = true;
          return;
        }
      } catch {
        // Disconnected: look again shortly.
      }
      await new Promise((r) => (this.catchUpTimer = setTimeout(r, CATCH_UP_POLL_MS)));
    }
  }

  private handle(msg: JsMsg): void {
    if (this.stopped) {
      msg.nak();
      return;
    }
    let batch;
    try {
      batch = WireBatchSchema.parse(msg.json());
    } catch (err) {
      // Nothing a node of ours would send; acknowledged so it cannot block the queue, and said.
      const issue = (err as { issues?: Array<{ path: PropertyKey[]; message: string }> }).issues?.[0];
      const why = issue ? `${issue.path.join('.')}: ${issue.message}` : (err as Error).message;
      logger.error({ why, subject: msg.subject, seq: msg.seq }, 'cluster: dropped a malformed message from the stream');
      msg.term();
      return;
    }
    const pending: Pending = { msg, remaining: batch.items.length, since: Date.now() };
    this.pending.add(pending);
    const done = () => {
      if (--pending.remaining > 0 || !this.pending.has(pending)) return;
      this.pending.delete(pending);
      msg.ack();
    };
    const seenBefore = msg.redelivered || batch.redo === true;
    const from = { senderNode: batch.node, inst: batch.inst, redo: batch.redo === true };
    for (const raw of batch.items) {
      // Delivered live already (and checked then): settled by the recipient's acknowledgement.
      const id = (raw as { id?: unknown } | null)?.id;
      const live = typeof id === 'string' ? this.target.settleLive(id, done) : undefined;
      if (live === 'settled') done();
      if (live) continue;
      const parsed = WireMessageSchema.safeParse(raw);
      if (!parsed.success) {
        // What this node's socket would refuse of a SEND: dropped, said, and the rest of the batch goes on.
        const issue = parsed.error.issues[0];
        logger.error({ why: `${issue?.path.join('.')}: ${issue?.message}`, from: batch.node, seq: msg.seq }, 'cluster: dropped a malformed message from another node');
        done();
        continue;
      }
      const item = parsed.data;
      if (item.to !== this.recipient) {
        logger.error({ to: item.to, recipient: this.recipient }, 'cluster: a message in the wrong queue was skipped');
        done();
        continue;
      }
      // Its live copy may have been delivered by this node before a restart: the database says.
      const result = this.target.accept(item, done, { ...from, seenBefore: seenBefore || item.live === true });
      if (result === 'settled') {
        done();
      } else if (result === 'absent') {
        // Left between its disconnect and this inbox stopping: the batch goes back for its next node.
        this.pending.delete(pending);
        msg.nak();
        return;
      }
    }
  }

  private keepWorking(): void {
    const now = Date.now();
    for (const p of this.pending) {
      if (now - p.since < MAX_WORKING_MS) p.msg.working();
    }
  }
}
