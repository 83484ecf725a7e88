import type {
  AckPayload,
  AgentReadyPayload,
  DeliveryInfo,
  EntityType,
  ErrorPayload,
  HelloPayload,
  ReleaseOutcome,
  SendMeta,
  SendPayload,
  SpawnRequest,
} from '../protocol';

/** Options of `new RelayClient(...)`. Only `name` is required. */
export interface RelayClientOptions {
  /** The HELLO name (1-64 of [A-Za-z0-9._-]). Names starting `__` are internal and hidden from lists. */
  name: string;
  entityType?: EntityType;
  /** Explicit socket; otherwise discovered (option, RELAY_SOCKET, project, marker, /tmp/agent-relay.sock). */
  socketPath?: string;
  /** Where discovery starts looking for a project socket (default process.cwd()). */
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Extra HELLO facts shown in agent lists. */
  hello?: Omit<HelloPayload, 'agent' | 'entityType' | 'session' | 'capabilities'>;
  /** Reconnect after an unexpected close (default true). */
  reconnect?: boolean;
  /** First reconnect delay (default 250 ms); doubles per attempt, with jitter, up to reconnectMaxDelayMs. */
  reconnectDelayMs?: number;
  reconnectMaxDelayMs?: number;
  /** Give up after this many failed attempts in a row (default: never). */
  maxReconnectAttempts?: number;
  /** Socket connect + WELCOME deadline (default 5000 ms). */
  connectTimeoutMs?: number;
  /** Deadline for queries and worker requests (default 15000 ms; spawn and release 60000 ms). */
  requestTimeoutMs?: number;
}

export interface SendOptions {
  thread?: string;
  kind?: SendPayload['kind'];
  data?: Record<string, unknown>;
  /** Deliver only to subscribers of this topic. */
  topic?: string;
}

export interface SendAndWaitOptions extends SendOptions {
  /** How long the recipient has to ACK (default 30000 ms). */
  timeoutMs?: number;
}

/** A DELIVER as handed to onMessage handlers. */
export interface RelayMessage {
  id: string;
  from: string;
  to: string;
  body: string;
  kind: SendPayload['kind'];
  data?: Record<string, unknown>;
  thread?: string;
  topic?: string;
  ts: number;
  meta?: SendMeta;
  delivery: DeliveryInfo;
  /** `*` for a broadcast, `@users` for a users-only send. */
  originalTo?: string;
  /** Set when the sender waits for our ACK (sendAndWait); the handler's return value becomes the response. */
  correlationId?: string;
}

/** What a handler may return: a response string, or a response with structured data, for sync senders. */
export type MessageReply = void | undefined | string | { response?: string; responseData?: unknown };
export type MessageHandler = (message: RelayMessage) => MessageReply | Promise<MessageReply>;

export type ClientState = 'idle' | 'connecting' | 'ready' | 'reconnecting' | 'closed';

export interface SpawnOptions extends SpawnRequest {
  /** Also wait for the worker's AGENT_READY (it is running and registered). */
  waitForReady?: boolean;
  timeoutMs?: number;
}

export interface SpawnOutcome {
  name: string;
  pid?: number;
  policyDecision?: { allowed: boolean; reason?: string };
  /** The AGENT_READY, when waitForReady was asked. */
  ready?: AgentReadyPayload;
}

export interface ReleaseOutcomeResult {
  name: string;
  exitCode?: number | null;
  signal?: string | null;
  endedBy?: ReleaseOutcome['endedBy'];
}

export interface RelayClientEvents {
  state: (state: ClientState) => void;
  /** WELCOME after connect() or a reconnect; `resumed` is false when the daemon started a fresh session. */
  connected: (info: { sessionId: string; resumed: boolean }) => void;
  disconnected: (info: { error?: Error; willReconnect: boolean }) => void;
  agentReady: (payload: AgentReadyPayload) => void;
  /** An ERROR from the daemon that answers no pending request (e.g. NOT_FOUND for a plain send). */
  daemonError: (error: ErrorPayload) => void;
  /** An ACK forwarded to us that no sendAndWait is waiting for any more. */
  ack: (payload: AckPayload, from?: string) => void;
  busy: (payload: { retry_after_ms: number; queue_depth: number }) => void;
  /** A handler threw: the message was still acknowledged. */
  handlerError: (error: unknown, message: RelayMessage) => void;
  /** Every frame received, before it is handled (diagnostics and tests). */
  frame: (frame: { type: string; [key: string]: unknown }) => void;
}
