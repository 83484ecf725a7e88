import type { AgentSummary, Envelope, MessagesQuery, SendMeta, SendPayload, StoredMessageView } from '../../lib/protocol';

/**
 * What the rest of the server needs from the router. The daemon's socket connections are one kind
 * of endpoint; in-process agents (SpawnManager workers, the dashboard user) attach through
 * attachLocalAgent. Implemented in server/router/router.ts.
 */

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
 * An in-process agent. `deliver` receives a DELIVER envelope (same shape as on the wire); the
 * returned promise resolves when the message has been consumed (for a worker: typed into its
 * terminal). The router treats resolution as the ACK and stops redelivery.
 */
export interface LocalAgent {
  deliver(envelope: Envelope<SendPayload>): Promise<void> | void;
}

export interface LocalAgentHandle {
  detach(): void;
}

export interface SendOptions {
  topic?: string;
  meta?: SendMeta;
  kind?: SendPayload['kind'];
  data?: Record<string, unknown>;
  thread?: string;
}

/** A message accepted by the router; `id` is the stored message id. */
export interface Accepted {
  id: string;
  /** Recipients it was delivered or queued for. */
  recipients: string[];
}

export class RouterError extends Error {
  constructor(
    readonly code: 'NOT_FOUND' | 'BAD_REQUEST' | 'RATE_LIMITED',
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
