import type { Envelope } from '../../lib/protocol';
import type { AgentFacts } from './types';

/**
 * Something that can receive frames from the router: the daemon's socket connections, and
 * in-process LocalAgents (workers, the dashboard) wrapped by the router itself.
 */
export interface ReplyTarget {
  readonly name: string | undefined;
  readonly closed: boolean;
  /** Queue one envelope for writing. Returns false when the outbound queue is over its high-water mark. */
  send(envelope: Envelope): boolean;
}

export interface Endpoint extends ReplyTarget {
  readonly name: string;
  readonly kind: 'socket' | 'local';
  readonly entityType: 'agent' | 'user';
  readonly connectedAt: number;
  sessionId: string;
  facts: AgentFacts;
  /** Next DELIVER seq per `${topic or 'default'}\u0000${sender}`, for this connection. */
  readonly seqs: Map<string, number>;
  /** DELIVER ids waiting for this endpoint's ACK. */
  readonly inflight: Set<string>;
  /** Topics this endpoint subscribed to. */
  readonly topics: Set<string>;
  /** False when the client said (HELLO capabilities.ack) it never ACKs: nothing to redeliver then. */
  readonly acks?: boolean;
  /** True while the outbound queue is over its high-water mark. */
  readonly congested: boolean;
  /** Call `callback` once the outbound queue drains (immediately when it is not congested). */
  onceDrained(callback: () => void): void;
  /** Send a fatal ERROR and close (a newer HELLO took the name). */
  kick(code: 'DUPLICATE_CONNECTION', message: string): void;
}
