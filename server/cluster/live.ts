import type { Subscription } from '@nats-io/transport-node';
import { WireLiveBatchSchema, WireMessageSchema, type AckPayload } from '../../lib/protocol';
import { logger } from '../logger';
import type { PeerAcceptance, PeerAckCallback, PeerMessage } from '../router/types';
import type { ClusterConnection } from './connection';

/**
 * Live copies (docs/cluster.md, Messages across nodes, "Live copies"; decision 0014). Every message
 * for a recipient online on another node still goes into the stream, and is acknowledged there
 * after local delivery, as before. Beside it, a copy goes over core NATS straight to the node the
 * recipient is connected to, which delivers it at once when it is the next one of its lane (one
 * sender node instance → one recipient, numbered by `lseq`); otherwise the copy is dropped and the
 * stream brings the message in order. The stream's copy of a message delivered live is matched
 * here and settled without a second delivery. A lost live copy costs only time: the stream is the
 * record, core NATS only the short way.
 */

/** Live copies delivered and not yet matched by their stream copy are forgotten after this long. */
const FORGET_MS = 10 * 60_000;

// ---- sending ----

/** Gathers one event-loop turn's live copies per target node into one core NATS message. */
export class LiveSender {
  private readonly pending = new Map<string, string[]>();
  private turnOpen = false;
  private closed = false;
  /** Figures for STATUS and tests. */
  readonly stats = { sent: 0 };

  constructor(
    private readonly conn: ClusterConnection,
    private readonly node: string,
    private readonly instance: string,
  ) {}

  /**
   * Called before the message's stream publish (bridge.forward). The first copy of a turn is
   * written to NATS at once, ahead of its stream publish (nats-server then hands it on before it
   * has stored the other); the rest of the turn (all SENDs of one socket read) go together when its
   * microtasks run — not setImmediate, which the outbox's SQLite write and other immediates precede.
   */
  send(targetNode: string, json: string): void {
    if (this.closed) return;
    if (!this.turnOpen) {
      this.turnOpen = true;
      queueMicrotask(() => {
        this.turnOpen = false;
        this.publishPending();
      });
      this.publish(targetNode, [json]);
      return;
    }
    let list = this.pending.get(targetNode);
    if (!list) this.pending.set(targetNode, (list = []));
    list.push(json);
  }

  close(): void {
    this.closed = true;
    this.pending.clear();
  }

  private publishPending(): void {
    if (this.closed) return;
    for (const [node, items] of this.pending) this.publish(node, items);
    this.pending.clear();
  }

  private publish(node: string, items: string[]): void {
    const head = `{"v":1,"node":${JSON.stringify(this.node)},"inst":${JSON.stringify(this.instance)},"items":[`;
    try {
      // Each core message must fit max_payload: split by bytes (an item alone always fits, the outbox checked).
      let start = 0;
      while (start < items.length) {
        let bytes = head.length + 2;
        let end = start;
        while (end < items.length && (end === start || bytes + items[end].length + 1 <= this.conn.maxPayload - 4096)) bytes += items[end++].length + 1;
        this.conn.nc.publish(this.conn.names.live(node), `${head}${items.slice(start, end).join(',')}]}`);
        this.stats.sent += end - start;
        start = end;
      }
      // On the socket now, ahead of the rest of this turn's work (the outbox, the sender's reply).
      this.conn.sendNow();
    } catch (err) {
      // Disconnected: the stream brings them.
      logger.debug({ err, node }, 'cluster: live copies not sent; the stream carries them');
    }
  }
}

// ---- receiving ----

interface Delivered {
  to: string;
  at: number;
  /** The recipient acknowledged it (and the sending node was told). */
  acked: boolean;
  /** Stream copies waiting for that acknowledgement. */
  waiters: PeerAckCallback[];
  /** Its stream copy came: once acknowledged, nothing more will ask for it. */
  matched: boolean;
}

export interface LiveTarget {
  /** The recipient is connected here and its inbox reads the stream: a live copy may be delivered. */
  readsHere(recipient: string): boolean;
  acceptLive(message: PeerMessage & { lseq: number }, onSettled: PeerAckCallback): PeerAcceptance;
  /** Tell the sending node that the recipient acknowledged `id`. */
  ackToSender(senderNode: string, id: string, ack: AckPayload | undefined): void;
}

export class LiveReceiver {
  /** Per lane (`inst` + recipient): the last lseq delivered here, by either way, with none missing before it; when. */
  private readonly lanes = new Map<string, { seq: number; at: number }>();
  private readonly delivered = new Map<string, Delivered>();
  private sub: Subscription | undefined;
  private sweep: NodeJS.Timeout | undefined;
  /** Figures for STATUS and tests. */
  readonly stats = { delivered: 0, dropped: 0, matched: 0 };

  constructor(
    private readonly conn: ClusterConnection,
    private readonly node: string,
    private readonly target: LiveTarget,
  ) {}

  start(): void {
    this.sub = this.conn.nc.subscribe(this.conn.names.live(this.node), {
      callback: (err, msg) => {
        if (err) return;
        try {
          this.onBatch(msg.json());
        } catch (e) {
          const issue = (e as { issues?: Array<{ path: PropertyKey[]; message: string }> }).issues?.[0];
          const why = issue ? `${issue.path.join('.')}: ${issue.message}` : (e as Error).message;
          logger.warn({ why, subject: msg.subject }, 'cluster: dropped a malformed live message (the stream still brings what it held)');
        }
      },
    });
    this.sweep = setInterval(() => {
      const cutoff = Date.now() - FORGET_MS;
      for (const [id, d] of this.delivered) if (d.at < cutoff) this.delivered.delete(id);
      // A sender instance that stopped (a restart gives a new one) leaves its lanes behind.
      for (const [key, lane] of this.lanes) if (lane.at < cutoff) this.lanes.delete(key);
    }, 60_000).unref();
  }

  close(): void {
    this.sub?.unsubscribe();
    if (this.sweep) clearInterval(this.sweep);
    this.delivered.clear();
  }

  /**
   * The recipient left this node: what it had not acknowledged is the stream copy's to deliver
   * (again, same id), and its lanes are forgotten, so that if it comes back here no live copy is
   * delivered before the stream has brought those again.
   */
  recipientLeft(recipient: string): void {
    for (const [id, d] of this.delivered) {
      // A stream copy waiting for it goes back with its batch (the inbox naks what it holds).
      if (d.to === recipient && !d.acked) this.delivered.delete(id);
    }
    const suffix = laneKey('', recipient);
    for (const key of this.lanes.keys()) if (key.endsWith(suffix)) this.lanes.delete(key);
  }

  /**
   * A stream copy arrived (the inbox, before it hands the item to the router): a message delivered
   * live is settled when the recipient acknowledges it, not delivered twice. Returns undefined when
   * it was not delivered live here.
   */
  matchStreamed(id: string, onSettled: PeerAckCallback): 'settled' | 'delivered' | undefined {
    const d = this.delivered.get(id);
    if (!d) return undefined;
    this.stats.matched++;
    if (d.acked) {
      this.delivered.delete(id);
      return 'settled';
    }
    d.matched = true;
    d.waiters.push(onSettled);
    return 'delivered';
  }

  /** A stream copy of lane (`inst`, recipient) at `lseq` was delivered here: live copies up to it are late. */
  streamed(inst: string | undefined, recipient: string, lseq: number | undefined): void {
    if (inst === undefined || lseq === undefined) return;
    const key = laneKey(inst, recipient);
    const lane = this.lanes.get(key);
    if (!lane) this.lanes.set(key, { seq: lseq, at: Date.now() });
    else if (lane.seq < lseq) Object.assign(lane, { seq: lseq, at: Date.now() });
  }

  private onBatch(raw: unknown): void {
    const batch = WireLiveBatchSchema.parse(raw);
    for (const item of batch.items) {
      const parsed = WireMessageSchema.safeParse(item);
      if (!parsed.success || parsed.data.lseq === undefined) {
        this.stats.dropped++;
        continue;
      }
      this.offer(batch.node, batch.inst, parsed.data as PeerMessage & { lseq: number });
    }
  }

  private offer(senderNode: string, inst: string, message: PeerMessage & { lseq: number }): void {
    const key = laneKey(inst, message.to);
    const last = this.lanes.get(key)?.seq;
    // Only the next one of its lane: anything before it may still be on its way through the stream.
    // A lane never seen here starts at 1 (a new sender instance); else the stream says where it is.
    const next = last === undefined ? message.lseq === 1 : message.lseq === last + 1;
    if (!next || !this.target.readsHere(message.to) || this.delivered.has(message.id)) {
      this.stats.dropped++;
      return;
    }
    const entry: Delivered = { to: message.to, at: Date.now(), acked: false, waiters: [], matched: false };
    this.delivered.set(message.id, entry);
    const result = this.target.acceptLive(message, (ack) => {
      if (entry.acked) return;
      entry.acked = true;
      this.target.ackToSender(senderNode, message.id, ack);
      if (entry.matched) this.delivered.delete(message.id);
      for (const w of entry.waiters.splice(0)) w(ack);
    });
    if (result === 'absent') {
      this.delivered.delete(message.id);
      this.stats.dropped++;
      return;
    }
    this.lanes.set(key, { seq: message.lseq, at: Date.now() });
    this.stats.delivered++;
    if (result === 'settled') {
      // Acknowledged here before (a restart between): the sender is told, the stream copy settles.
      entry.acked = true;
      this.target.ackToSender(senderNode, message.id, undefined);
    }
  }
}

function laneKey(inst: string, recipient: string): string {
  return `${inst}\u0000${recipient}`;
}
