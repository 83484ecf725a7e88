import type { AckPayload, Envelope, SendPayload } from '../../lib/protocol';

/** Static facts about an agent, shown in lists and AGENT_READY. */
export interface AgentFacts {
  cli?: string;
  task?: string;
  team?: string;
  model?: string;
  pid?: number;
  /** The agent that spawned it (workers). */
  parent?: string;
  entityType?: 'agent' | 'user';
}

/**
 * Something that can receive frames from the router: the daemon's socket connections
 * (server/daemon/connection.ts), and in-process LocalAgents (workers, the dashboard) wrapped by the
 * router itself (local-endpoint.ts). The router treats them alike; how a message reaches the
 * recipient, and when it counts as received, is each endpoint's `deliver`.
 */
export interface ReplyTarget {
  readonly name: string | undefined;
  readonly closed: boolean;
  /** Queue one envelope for writing. Returns false when the outbound queue is over its high-water mark. */
  send(envelope: Envelope): boolean;
}

export interface Endpoint extends ReplyTarget {
  readonly name: string;
  /** `remote`: an agent on another node of a cluster (server/cluster/remote-endpoint.ts). */
  readonly kind: 'socket' | 'local' | 'remote';
  readonly entityType: 'agent' | 'user';
  readonly connectedAt: number;
  sessionId: string;
  facts: AgentFacts;
  /** Next DELIVER seq per `${topic or 'default'}\u0000${sender}`, for this connection. */
  readonly seqs: Map<string, number>;
  /** DELIVER ids the router re-sends until this endpoint's ACK (redeliverUntilAcked). */
  readonly inflight: Set<string>;
  /** Topics this endpoint subscribed to. */
  readonly topics: Set<string>;
  /** True while the outbound queue is over its high-water mark. */
  readonly congested: boolean;
  /** Call `callback` once the outbound queue drains (immediately when it is not congested). */
  onceDrained(callback: () => void): void;
  /** Send a fatal ERROR and close (a newer HELLO took the name). */
  kick(code: 'DUPLICATE_CONNECTION', message: string): void;
  /**
   * Hand one DELIVER (built for this endpoint: its seq, its session) to the recipient. `onAck` runs
   * once the recipient has it, with the ACK to forward to a blocking sync sender; the router then
   * marks the message acked. A socket writes the frame and leaves it to the router's redelivery until
   * the client's ACK; an in-process agent acknowledges when its `deliver()` promise resolves; an
   * endpoint for an agent on another machine would acknowledge once that machine delivered it.
   */
  deliver(envelope: Envelope<SendPayload>, onAck: AckCallback): void;
}

export type AckCallback = (ack: AckPayload) => void;
