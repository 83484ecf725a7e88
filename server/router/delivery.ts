import { randomUUID } from 'node:crypto';
import { PROTOCOL_VERSION, type AckPayload, type Envelope, type SendMeta, type SendPayload } from '../../lib/protocol';
import type { AckCallback, Endpoint, ReplyTarget } from './endpoint';

/** Protocol defaults: an unacknowledged DELIVER is re-sent after 5 s, at most 5 times, within 60 s. */
export const REDELIVERY_MS = 5_000;
export const MAX_REDELIVERIES = 5;
export const REDELIVERY_WINDOW_MS = 60_000;
/** A blocking sync send without its own timeoutMs waits this long for the recipient's ACK. */
export const SYNC_TIMEOUT_MS = 30_000;

export interface OutgoingMessage {
  messageId: string;
  from: string;
  /** The SEND's `to` (`*`, `@users`, a name). */
  to: string;
  topic?: string;
  ts: number;
  payload: SendPayload | Record<string, unknown>;
  meta?: SendMeta;
  /** The DELIVER id to use instead of a fresh one: a message from another node keeps the id its sender gave it (clients de-duplicate by it). */
  deliverId?: string;
}

/** A DELIVER for one recipient connection: fresh id, next seq for (topic, sender), always `delivery`. */
export function buildDeliver(ep: Endpoint, msg: OutgoingMessage): Envelope<SendPayload> {
  const key = `${msg.topic ?? 'default'}\u0000${msg.from}`;
  const seq = (ep.seqs.get(key) ?? 0) + 1;
  ep.seqs.set(key, seq);
  const envelope: Envelope<SendPayload> = {
    v: PROTOCOL_VERSION,
    type: 'DELIVER',
    id: msg.deliverId ?? randomUUID(),
    ts: msg.ts,
    from: msg.from,
    to: ep.name,
    payload: msg.payload as SendPayload,
    delivery: { seq, session_id: ep.sessionId },
  };
  if (msg.topic !== undefined) envelope.topic = msg.topic;
  if (msg.meta !== undefined) envelope.payload_meta = msg.meta;
  if (msg.to !== ep.name) envelope.delivery!.originalTo = msg.to;
  return envelope;
}

interface InFlight {
  ep: Endpoint;
  envelope: Envelope;
  /** What the endpoint's deliver was given: runs when the client ACKs. */
  onAck: AckCallback;
  redeliveries: number;
  firstSentAt: number;
  dueAt: number;
}

export interface RedeliveryOptions {
  intervalMs?: number;
  maxRedeliveries?: number;
  windowMs?: number;
}

/**
 * DELIVERs written to a socket and waiting for the client's ACK (a client may lose them: it
 * reconnects, or is slow to answer): re-sent until then, a bounded number of times. Every entry uses
 * the same interval, so insertion order is due order: a tick walks from the front and stops at the
 * first entry not yet due.
 */
export class InFlightTracker {
  private readonly entries = new Map<string, InFlight>();
  readonly intervalMs: number;
  private readonly maxRedeliveries: number;
  private readonly windowMs: number;

  constructor(options: RedeliveryOptions = {}) {
    this.intervalMs = options.intervalMs ?? REDELIVERY_MS;
    this.maxRedeliveries = options.maxRedeliveries ?? MAX_REDELIVERIES;
    this.windowMs = options.windowMs ?? REDELIVERY_WINDOW_MS;
  }

  track(ep: Endpoint, envelope: Envelope, onAck: AckCallback, now: number): void {
    this.entries.set(envelope.id, { ep, envelope, onAck, redeliveries: 0, firstSentAt: now, dueAt: now + this.intervalMs });
    ep.inflight.add(envelope.id);
  }

  /** The entry `ep` acknowledged, removed; undefined when unknown or not addressed to `ep`. */
  take(ep: Endpoint, deliverId: string): InFlight | undefined {
    const entry = this.entries.get(deliverId);
    if (!entry || entry.ep !== ep) return undefined;
    this.entries.delete(deliverId);
    ep.inflight.delete(deliverId);
    return entry;
  }

  dropEndpoint(ep: Endpoint): void {
    for (const id of ep.inflight) this.entries.delete(id);
    ep.inflight.clear();
  }

  /** Re-send what is due; give up on entries past their attempts or window (they stay stored). */
  tick(now: number): void {
    for (const [id, entry] of this.entries) {
      if (entry.dueAt > now) break;
      this.entries.delete(id);
      if (entry.ep.closed || entry.redeliveries >= this.maxRedeliveries || now - entry.firstSentAt >= this.windowMs) {
        entry.ep.inflight.delete(id);
        continue;
      }
      entry.redeliveries++;
      entry.dueAt = now + this.intervalMs;
      this.entries.set(id, entry);
      entry.ep.send(entry.envelope);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}

interface SyncWait {
  origin: ReplyTarget;
  sendId: string;
  recipients: Set<string>;
  timer: NodeJS.Timeout;
}

/** Blocking sync sends waiting for the recipient's ACK that carries their correlationId. */
export class SyncWaits {
  private readonly waits = new Map<string, SyncWait>();
  private readonly byOrigin = new Map<ReplyTarget, Set<string>>();

  add(correlationId: string, origin: ReplyTarget, sendId: string, recipients: string[], timeoutMs: number): void {
    this.remove(correlationId);
    const timer = setTimeout(() => {
      this.remove(correlationId);
      if (origin.closed) return;
      origin.send({
        v: PROTOCOL_VERSION,
        type: 'ERROR',
        id: randomUUID(),
        ts: Date.now(),
        payload: {
          code: 'TIMEOUT',
          message: `No ACK from ${recipients.join(', ')} within ${timeoutMs} ms for sync message ${sendId}; the recipient may be busy or offline. Retry, or send without waiting.`,
          fatal: false,
          replyTo: sendId,
        },
      });
    }, timeoutMs);
    timer.unref();
    this.waits.set(correlationId, { origin, sendId, recipients: new Set(recipients), timer });
    let set = this.byOrigin.get(origin);
    if (!set) this.byOrigin.set(origin, (set = new Set()));
    set.add(correlationId);
  }

  /** Forward `from`'s ACK to the waiting sender. Returns true when it completed a wait. */
  complete(from: string, ack: AckPayload): boolean {
    const correlationId = ack.correlationId;
    if (!correlationId) return false;
    const wait = this.waits.get(correlationId);
    if (!wait || !wait.recipients.has(from)) return false;
    this.remove(correlationId);
    if (!wait.origin.closed) {
      const envelope: Envelope = {
        v: PROTOCOL_VERSION,
        type: 'ACK',
        id: randomUUID(),
        ts: Date.now(),
        from,
        payload: { ...ack, from },
      };
      if (wait.origin.name) envelope.to = wait.origin.name;
      wait.origin.send(envelope);
    }
    return true;
  }

  dropOrigin(origin: ReplyTarget): void {
    const ids = this.byOrigin.get(origin);
    if (!ids) return;
    for (const id of [...ids]) this.remove(id);
  }

  clear(): void {
    for (const id of [...this.waits.keys()]) this.remove(id);
  }

  private remove(correlationId: string): void {
    const wait = this.waits.get(correlationId);
    if (!wait) return;
    clearTimeout(wait.timer);
    this.waits.delete(correlationId);
    const set = this.byOrigin.get(wait.origin);
    set?.delete(correlationId);
    if (set && set.size === 0) this.byOrigin.delete(wait.origin);
  }

  get size(): number {
    return this.waits.size;
  }
}
