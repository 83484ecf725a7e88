import type { Envelope, SendPayload } from '../../lib/protocol';
import { logger } from '../logger';
import type { AckCallback, Endpoint } from './endpoint';
import type { AgentFacts, LocalAgent } from './types';

/**
 * An in-process agent seen as an endpoint. Only DELIVERs reach it (through `deliver`);
 * control frames (AGENT_READY, forwarded ACKs, errors) have no meaning for it and are skipped.
 * Its `deliver()` promise is the ACK: no timed redelivery, because re-typing a message into a
 * worker's terminal while the first attempt is still pending would duplicate it. A rejected
 * delivery is retried after the redelivery interval, a bounded number of times.
 */
export class LocalEndpoint implements Endpoint {
  readonly kind = 'local' as const;
  readonly connectedAt = Date.now();
  readonly seqs = new Map<string, number>();
  readonly inflight = new Set<string>();
  readonly topics = new Set<string>();
  readonly congested = false;
  readonly entityType: 'agent' | 'user';
  sessionId: string;
  closed = false;
  private readonly retryTimers = new Set<NodeJS.Timeout>();

  constructor(
    readonly name: string,
    public facts: AgentFacts,
    private readonly agent: LocalAgent,
    sessionId: string,
    private readonly retry: { intervalMs: number; max: number },
  ) {
    this.entityType = facts.entityType ?? 'agent';
    this.sessionId = sessionId;
  }

  send(_envelope: Envelope): boolean {
    return true;
  }

  onceDrained(callback: () => void): void {
    callback();
  }

  kick(): void {
    this.close();
  }

  /** Hand a DELIVER to the agent; `onAck` runs once it resolves. */
  deliver(envelope: Envelope<SendPayload>, onAck: AckCallback): void {
    this.attempt(envelope, () => {
      // What a socket client's ACK would say, for a sync sender waiting on this recipient.
      const correlationId = envelope.payload_meta?.sync?.correlationId;
      onAck({ ack_id: envelope.id, seq: envelope.delivery?.seq, ...(correlationId ? { correlationId } : {}) });
    });
  }

  private attempt(envelope: Envelope<SendPayload>, onAck: () => void, attempt = 0): void {
    if (this.closed) return;
    let result: Promise<void> | void;
    try {
      result = this.agent.deliver(envelope);
    } catch (err) {
      this.failed(envelope, onAck, attempt, err);
      return;
    }
    Promise.resolve(result).then(
      () => {
        if (!this.closed) onAck();
      },
      (err) => this.failed(envelope, onAck, attempt, err),
    );
  }

  close(): void {
    this.closed = true;
    for (const t of this.retryTimers) clearTimeout(t);
    this.retryTimers.clear();
  }

  private failed(envelope: Envelope<SendPayload>, onAck: () => void, attempt: number, err: unknown): void {
    if (this.closed) return;
    if (attempt >= this.retry.max) {
      logger.warn({ err, agent: this.name, id: envelope.id }, 'local agent did not accept a message; giving up (it stays stored)');
      return;
    }
    const timer = setTimeout(() => {
      this.retryTimers.delete(timer);
      this.attempt(envelope, onAck, attempt + 1);
    }, this.retry.intervalMs);
    timer.unref();
    this.retryTimers.add(timer);
  }
}
