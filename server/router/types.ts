import type { AgentFacts } from './endpoint';
import type { AckPayload, AgentSummary, Envelope, MessagesQuery, RouterErrorCode, SendMeta, SendPayload, StoredMessageView } from '../../lib/protocol';

/**
 * What the rest of the server needs from the router. The daemon's socket connections are one kind
 * of endpoint; in-process agents (SpawnManager workers, the dashboard user) attach through
 * attachLocalAgent. Implemented in server/router/router.ts.
 */

// Defined beside Endpoint (which carries them), so endpoint.ts needs nothing from this file.
export type { AgentFacts };

/**
 * An in-process agent. `deliver` receives a DELIVER envelope (same shape as on the wire); the
 * returned promise resolves when the message has been consumed (for a worker: typed into its
 * terminal). The router treats resolution as the ACK and stops redelivery.
 */
export interface LocalAgent {
  deliver(envelope: Envelope<SendPayload>): Promise<void> | void;
}

/**
 * Where messages go for names this relay does not hold, when it is a node of a cluster
 * (server/cluster; docs/cluster.md). The router asks only these three things; how a message crosses
 * to another node is the returned endpoint's `deliver`.
 */
export interface RemoteRoutes {
  /** This node's name: every local agent entry carries it. */
  readonly node: string;
  /**
   * The endpoint that takes a direct message for `name`, or undefined to route it here as without a
   * cluster. `connectedHere`: the name has a connection on this node (the cluster may still take the
   * message while that agent's queue from other nodes is not caught up, so order holds).
   */
  endpointFor(name: string, connectedHere: boolean): import('./endpoint').Endpoint | undefined;
  /** One endpoint per agent or user online on another node, for `*`, `@users` and topics. */
  broadcastTargets(): Iterable<import('./endpoint').Endpoint>;
  /** Agents other nodes know (with `node`), for LIST_AGENTS; `idle` when offline everywhere. */
  agents(): AgentSummary[];
}

/** A message another node routed to a recipient connected here (router.acceptFromPeer). */
export interface PeerMessage {
  /** The DELIVER id the sending router gave this recipient's copy: stored under it, delivered under it. */
  id: string;
  from: string;
  /** The recipient (a name connected here). */
  to: string;
  /** The SEND's `to` when it was not the recipient's name (`*`, `@users`). */
  originalTo?: string;
  topic?: string;
  ts: number;
  payload: SendPayload;
  meta?: SendMeta;
}

/** What acceptFromPeer did: handed to the recipient here, already acknowledged here before, or nobody here to take it. */
export type PeerAcceptance = 'delivered' | 'settled' | 'absent';
export type PeerAckCallback = (ack: AckPayload | undefined) => void;

export interface LocalAgentHandle {
  detach(): void;
}

export interface SendOptions {
  topic?: string;
  meta?: SendMeta;
  kind?: SendPayload['kind'];
  data?: Record<string, unknown>;
  thread?: string;
  /** Wait for the storage write and say in `persisted` whether it is in the database (costs a commit wait). */
  confirmStored?: boolean;
}

/** A message accepted by the router; `id` is the stored message id. */
export interface Accepted {
  id: string;
  /** Recipients it was delivered or queued for. */
  recipients: string[];
  /**
   * With `confirmStored`: false when the message was accepted (delivered or held for its
   * recipient) but the database could not take it (disk full): it is kept in memory and written
   * when space returns, unless the relay stops first.
   */
  persisted?: boolean;
}

export class RouterError extends Error {
  constructor(
    readonly code: RouterErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'RouterError';
  }
}

export interface PresenceEvent {
  name: string;
  online: boolean;
  entityType: 'agent' | 'user';
  facts: AgentFacts;
  at: number;
}

export interface RouterEvents {
  /** A message was accepted and stored (one event per SEND, not per recipient). */
  message: (message: StoredMessageView) => void;
  /** An agent or user connected or disconnected. */
  presence: (event: PresenceEvent) => void;
}

export interface RelayRouter {
  /** Register an in-process agent under `name` (a running worker, the dashboard). Replaces a previous holder. */
  attachLocalAgent(name: string, facts: AgentFacts, agent: LocalAgent): LocalAgentHandle;
  /** A worker is being spawned: messages sent to it are stored and delivered once it attaches. */
  expectAgent(name: string): void;
  /**
   * The name belongs to a worker from its spawn until it exits: any HELLO for it (agent or user) is
   * refused with NAME_TAKEN_BY_WORKER, so no socket client can take its messages. `release()` frees it.
   */
  claimWorkerName(name: string): { release(): void };
  /** Forget an expected or known agent (worker removed). */
  forgetAgent(name: string): void;
  /** Send as `from` (an in-process sender: a worker's output, the dashboard, the outbox). Throws RouterError NOT_FOUND. */
  sendAs(from: string, to: string, body: string, options?: SendOptions): Accepted;
  listAgents(options?: { includeIdle?: boolean; includeInternal?: boolean }): AgentSummary[];
  connectedAgentNames(): string[];
  queryMessages(query: MessagesQuery): StoredMessageView[];
  inbox(agent: string, options?: { limit?: number; unreadOnly?: boolean; from?: string }): StoredMessageView[];
  on<E extends keyof RouterEvents>(event: E, listener: RouterEvents[E]): this;
  off<E extends keyof RouterEvents>(event: E, listener: RouterEvents[E]): this;
}
