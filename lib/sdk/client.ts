import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { z } from 'zod';
import { discoverSocket } from '../discovery';
import {
  PROTOCOL_VERSION,
  QUERY_RESPONSE_TYPES,
  type AckPayload,
  type AgentReadyPayload,
  type AgentSummary,
  type ErrorPayload,
  type HelloPayload,
  type InboxMessageSchema,
  type ListConnectedAgentsResponseSchema,
  type ListWorkersResultSchema,
  type MessagesQuery,
  type ParsedFrame,
  type QueryType,
  type ReleaseResultSchema,
  type SendInputResultSchema,
  type SendMeta,
  type SendPayload,
  type SpawnResultSchema,
  type StatusResponse,
  type StoredMessageView,
  type WelcomePayload,
  type WorkerInfo,
} from '../protocol';
import { FramedConnection } from './connection';
import { noDaemonError, RelayError } from './errors';
import { PendingRequests } from './pending';
import type { WireEnvelope as Envelope } from './wire';
import type {
  ClientState,
  MessageHandler,
  MessageReply,
  RelayClientEvents,
  RelayClientOptions,
  RelayMessage,
  ReleaseOutcomeResult,
  SendAndWaitOptions,
  SendOptions,
  SpawnOptions,
  SpawnOutcome,
} from './types';

type InboxMessage = z.infer<typeof InboxMessageSchema>;
type WorkerResult = { success: boolean; error?: string; code?: string };
export interface SyncReply {
  from?: string;
  correlationId: string;
  response?: string;
  responseData?: unknown;
}

const DEFAULTS = { reconnectDelayMs: 250, reconnectMaxDelayMs: 10_000, connectTimeoutMs: 5000, requestTimeoutMs: 15_000 };
/** Spawn and release wait on processes (a release may take its whole grace period), so they get longer. */
const WORKER_REQUEST_TIMEOUT_MS = 60_000;
const DEFAULT_SYNC_TIMEOUT_MS = 30_000;
/** The daemon answers a sync timeout itself; our own timer is a backstop for a daemon that never does. */
const SYNC_BACKSTOP_MS = 2000;
/** Delivered ids remembered for de-duplication (redelivery and session replay). */
const SEEN_LIMIT = 5000;

/** A connection to the agent-relay daemon (protocol v1 over its Unix socket). Node-only. */
export class RelayClient extends EventEmitter {
  readonly name: string;
  private readonly options: RelayClientOptions;
  private conn?: FramedConnection;
  private _state: ClientState = 'idle';
  private _socketPath?: string;
  private sessionId?: string;
  private resumeToken?: string;
  private fatal?: ErrorPayload;
  private reconnectAttempts = 0;
  private reconnectTimer?: NodeJS.Timeout;
  private handshake?: { resolve: (w: WelcomePayload) => void; reject: (e: Error) => void };
  private readonly requests = new PendingRequests();
  private readonly syncAcks = new PendingRequests();
  private readonly syncBySendId = new Map<string, string>();
  private readonly handlers = new Set<MessageHandler>();
  /** id → the ACK we sent (null while the handler runs), so a redelivery is re-acknowledged, not re-handled. */
  private readonly seen = new Map<string, AckPayload | null>();
  private readonly readyWaiters = new Map<string, Set<(p: AgentReadyPayload) => void>>();
  private readonly topics = new Set<string>();

  constructor(options: RelayClientOptions) {
    super();
    this.options = options;
    this.name = options.name;
  }

  get state(): ClientState {
    return this._state;
  }
  get socketPath(): string | undefined {
    return this._socketPath;
  }
  get session(): { id?: string; resumeToken?: string } {
    return { id: this.sessionId, resumeToken: this.resumeToken };
  }

  override on<E extends keyof RelayClientEvents>(event: E, listener: RelayClientEvents[E]): this {
    return super.on(event, listener);
  }
  override once<E extends keyof RelayClientEvents>(event: E, listener: RelayClientEvents[E]): this {
    return super.once(event, listener);
  }

  /** Finds the socket (unless given), connects and completes HELLO/WELCOME. Rejects with NO_DAEMON or CONNECT_FAILED. */
  async connect(): Promise<void> {
    if (this._state === 'ready') return;
    if (this._state === 'closed') this.fatal = undefined;
    this.setState('connecting');
    let info: { sessionId: string; resumed: boolean };
    try {
      info = await this.open();
    } catch (err) {
      this.setState('closed');
      throw err;
    }
    this.setState('ready');
    this.emit('connected', info);
  }

  /** Says BYE and closes; no reconnect. Requests still waiting fail with DISCONNECTED. */
  async disconnect(): Promise<void> {
    clearTimeout(this.reconnectTimer);
    const conn = this.conn;
    this.setState('closed');
    this.failPending('The client disconnected before the daemon answered.');
    if (!conn?.isOpen) return;
    conn.write(this.envelope('BYE', {}));
    await new Promise<void>((resolve) => {
      this.once('disconnected', () => resolve());
      conn.end();
    });
  }

  /** Sends a message; returns its id. A refusal (NOT_FOUND, RATE_LIMITED) arrives later as a `daemonError` event with replyTo = this id. */
  send(to: string, body: string, options: SendOptions = {}): string {
    const env = this.sendEnvelope(to, body, options);
    this.write(env);
    return env.id;
  }

  /** Sends and waits for the recipient's ACK (its handler's response). Rejects with TIMEOUT or NOT_FOUND. */
  async sendAndWait(to: string, body: string, options: SendAndWaitOptions = {}): Promise<SyncReply> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_SYNC_TIMEOUT_MS;
    const correlationId = randomUUID();
    const env = this.sendEnvelope(to, body, options, { sync: { correlationId, timeoutMs, blocking: true } });
    const reply = this.syncAcks.wait<SyncReply>(correlationId, timeoutMs + SYNC_BACKSTOP_MS, `The message to ${to}`);
    this.syncBySendId.set(env.id, correlationId);
    try {
      this.write(env);
      return await reply.catch((err: RelayError) => {
        throw err.code === 'REQUEST_TIMEOUT' ? new RelayError('TIMEOUT', `${to} did not acknowledge within ${timeoutMs} ms.`, env.id) : err;
      });
    } finally {
      this.syncBySendId.delete(env.id);
      this.syncAcks.reject(correlationId, new RelayError('DISCONNECTED', 'Write failed.'));
    }
  }

  /** Registers a handler for DELIVERs; returns a function that removes it. Each message is ACKed once all handlers finish. */
  onMessage(handler: MessageHandler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  subscribe(topic: string): void {
    this.topics.add(topic);
    this.write({ ...this.envelope('SUBSCRIBE', {}), topic });
  }

  unsubscribe(topic: string): void {
    this.topics.delete(topic);
    this.write({ ...this.envelope('UNSUBSCRIBE', {}), topic });
  }

  async spawn(options: SpawnOptions): Promise<SpawnOutcome> {
    const { waitForReady, timeoutMs = WORKER_REQUEST_TIMEOUT_MS, ...request } = options;
    let ready: Promise<AgentReadyPayload> | undefined;
    let stopWaiting = () => {};
    if (waitForReady) {
      // Listen before asking: AGENT_READY may overtake SPAWN_RESULT.
      ready = new Promise((resolve) => {
        const waiters = this.readyWaiters.get(request.name) ?? new Set();
        waiters.add(resolve);
        this.readyWaiters.set(request.name, waiters);
        stopWaiting = () => waiters.delete(resolve);
      });
    }
    try {
      const result = await this.workerRequest<z.infer<typeof SpawnResultSchema>>('SPAWN', request, timeoutMs, `Spawning ${request.name}`);
      const outcome: SpawnOutcome = { name: result.name, pid: result.pid, policyDecision: result.policyDecision };
      if (ready) outcome.ready = await withDeadline(ready, timeoutMs, `${request.name} was spawned but did not become ready within ${timeoutMs} ms; check it with: agent-relay logs ${request.name}`);
      return outcome;
    } finally {
      stopWaiting();
    }
  }

  async release(name: string, options: { force?: boolean; reason?: string; timeoutMs?: number } = {}): Promise<ReleaseOutcomeResult> {
    const { timeoutMs = WORKER_REQUEST_TIMEOUT_MS, ...rest } = options;
    const r = await this.workerRequest<z.infer<typeof ReleaseResultSchema>>('RELEASE', { name, ...rest }, timeoutMs, `Releasing ${name}`);
    return { name: r.name, exitCode: r.exitCode, signal: r.signal, endedBy: r.endedBy };
  }

  /** Types `data` into a worker's terminal (raw: include `\r` to press Enter). */
  async sendWorkerInput(name: string, data: string): Promise<void> {
    await this.workerRequest<z.infer<typeof SendInputResultSchema>>('SEND_INPUT', { name, data }, this.requestTimeout, `Input to ${name}`);
  }

  async listWorkers(): Promise<WorkerInfo[]> {
    const r = await this.request<z.infer<typeof ListWorkersResultSchema>>('LIST_WORKERS', {}, this.requestTimeout, 'LIST_WORKERS');
    if (r.error) throw new RelayError('INTERNAL', r.error);
    return r.workers;
  }

  async listAgents(options: { includeIdle?: boolean; includeInternal?: boolean } = {}): Promise<AgentSummary[]> {
    return (await this.query<{ agents: AgentSummary[] }>('LIST_AGENTS', options)).agents;
  }

  async listConnectedAgents(): Promise<z.infer<typeof ListConnectedAgentsResponseSchema>['agents']> {
    return (await this.query<z.infer<typeof ListConnectedAgentsResponseSchema>>('LIST_CONNECTED_AGENTS', {})).agents;
  }

  status(): Promise<StatusResponse> {
    return this.query<StatusResponse>('STATUS', {});
  }

  async inbox(options: { agent?: string; limit?: number; unreadOnly?: boolean; from?: string } = {}): Promise<InboxMessage[]> {
    return (await this.query<{ messages: InboxMessage[] }>('INBOX', options)).messages;
  }

  async queryMessages(query: MessagesQuery = {}): Promise<StoredMessageView[]> {
    return (await this.query<{ messages: StoredMessageView[] }>('MESSAGES_QUERY', query)).messages;
  }

  // ---- requests ----

  private get requestTimeout(): number {
    return this.options.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs;
  }

  private query<T>(type: QueryType, payload: object): Promise<T> {
    return this.request<T>(type, payload, this.requestTimeout, type);
  }

  /** Sends a request and waits for the frame naming its id (a query response's id, or a result's payload.replyTo). */
  private request<T>(type: string, payload: object, timeoutMs: number, describe: string): Promise<T> {
    const env = this.envelope(type, payload);
    const answer = this.requests.wait<T>(env.id, timeoutMs, describe);
    try {
      this.write(env);
    } catch (err) {
      this.requests.reject(env.id, err as Error);
    }
    return answer;
  }

  private async workerRequest<T extends WorkerResult>(type: string, payload: object, timeoutMs: number, describe: string): Promise<T> {
    const result = await this.request<T>(type, payload, timeoutMs, describe);
    if (!result.success) throw new RelayError(result.code ?? 'INTERNAL', result.error ?? `${describe} failed.`);
    return result;
  }

  private envelope<P>(type: string, payload: P): Envelope<P> {
    return { v: PROTOCOL_VERSION, type, id: randomUUID(), ts: Date.now(), payload };
  }

  private sendEnvelope(to: string, body: string, options: SendOptions, meta?: SendMeta): Envelope<SendPayload> {
    const payload: SendPayload = { kind: options.kind ?? 'message', body };
    if (options.data) payload.data = options.data;
    if (options.thread) payload.thread = options.thread;
    const env: Envelope<SendPayload> = { ...this.envelope('SEND', payload), to };
    if (options.topic) env.topic = options.topic;
    if (meta) env.payload_meta = meta;
    return env;
  }

  private write(env: Envelope<unknown>): void {
    if (this._state !== 'ready' || !this.conn?.write(env)) {
      const why = this._state === 'reconnecting' ? 'is reconnecting to the daemon; retry after the "connected" event' : 'is not connected; call connect() first';
      throw new RelayError('NOT_CONNECTED', `RelayClient "${this.name}" ${why}.`);
    }
  }

  // ---- connection ----

  /** Discovers, connects and completes the handshake; the caller sets the state and emits `connected`. */
  private async open(): Promise<{ sessionId: string; resumed: boolean }> {
    const found = await discoverSocket({ socketPath: this.options.socketPath, cwd: this.options.cwd, env: this.options.env });
    if (!found) throw noDaemonError();
    this._socketPath = found.socketPath;
    const timeoutMs = this.options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs;
    let conn: FramedConnection;
    try {
      conn = await FramedConnection.open(found.socketPath, timeoutMs, (f) => this.onFrame(f), (e) => this.onClose(conn, e));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new RelayError('CONNECT_FAILED', `Cannot connect to the daemon at ${found.socketPath} (${code ?? (err as Error).message}). Start it with: agent-relay up`);
    }
    this.conn = conn;
    const hadToken = this.resumeToken;
    const welcome = new Promise<WelcomePayload>((resolve, reject) => (this.handshake = { resolve, reject }));
    const deadline = setTimeout(
      () => this.handshake?.reject(new RelayError('HANDSHAKE_FAILED', `The daemon at ${found.socketPath} did not answer HELLO within ${timeoutMs} ms.`)),
      timeoutMs,
    );
    conn.write(this.envelope('HELLO', this.helloPayload()));
    try {
      const w = await welcome;
      const resumed = hadToken !== undefined && w.session_id === this.sessionId;
      this.sessionId = w.session_id;
      this.resumeToken = w.resume_token;
      return { sessionId: w.session_id, resumed };
    } catch (err) {
      conn.destroy();
      this.conn = undefined;
      throw err;
    } finally {
      clearTimeout(deadline);
      this.handshake = undefined;
    }
  }

  private helloPayload(): HelloPayload {
    return {
      ...this.options.hello,
      agent: this.name,
      entityType: this.options.entityType ?? 'agent',
      capabilities: { ack: true, resume: true, max_inflight: 256, supports_topics: true },
      ...(this.resumeToken ? { session: { resume_token: this.resumeToken } } : {}),
    };
  }

  private onClose(conn: FramedConnection, error?: Error): void {
    if (conn !== this.conn) return;
    this.conn = undefined;
    this.handshake?.reject(
      new RelayError('HANDSHAKE_FAILED', this.fatal ? this.fatal.message : `The daemon closed the connection during the handshake${error ? ` (${error.message})` : ''}.`),
    );
    this.failPending('The connection to the daemon closed before it answered; retry once reconnected.');
    const willReconnect = this._state === 'ready' && this.options.reconnect !== false && !this.fatal;
    this.emit('disconnected', { error, willReconnect });
    if (willReconnect) this.scheduleReconnect();
    else if (this._state === 'ready' || this._state === 'reconnecting') this.setState('closed');
  }

  private scheduleReconnect(): void {
    this.setState('reconnecting');
    const max = this.options.maxReconnectAttempts ?? Infinity;
    if (this.reconnectAttempts >= max) return this.setState('closed');
    const base = this.options.reconnectDelayMs ?? DEFAULTS.reconnectDelayMs;
    const cap = this.options.reconnectMaxDelayMs ?? DEFAULTS.reconnectMaxDelayMs;
    // Full exponential step with up to 50% jitter, so clients dropped together do not return together.
    const delay = Math.min(base * 2 ** this.reconnectAttempts, cap) * (0.5 + Math.random() * 0.5);
    this.reconnectAttempts += 1;
    this.reconnectTimer = setTimeout(() => {
      if (this._state !== 'reconnecting') return;
      this.open().then(
        (info) => {
          if (this._state !== 'reconnecting') return this.conn?.end();
          this.reconnectAttempts = 0;
          for (const topic of this.topics) this.conn?.write({ ...this.envelope('SUBSCRIBE', {}), topic });
          this.setState('ready');
          this.emit('connected', info);
        },
        () => {
          if (this._state === 'reconnecting' && !this.fatal) this.scheduleReconnect();
          else this.setState('closed');
        },
      );
    }, delay);
  }

  private failPending(sentence: string): void {
    const make = () => new RelayError('DISCONNECTED', sentence);
    this.requests.rejectAll(make);
    this.syncAcks.rejectAll(make);
    this.syncBySendId.clear();
  }

  private setState(state: ClientState): void {
    if (state === this._state) return;
    this._state = state;
    this.emit('state', state);
  }

  // ---- incoming frames ----

  private onFrame(frame: ParsedFrame): void {
    const env = frame as unknown as Envelope<Record<string, unknown>>;
    const p = env.payload ?? {};
    if (this.listenerCount('frame') > 0) this.emit('frame', frame);
    switch (env.type) {
      case 'WELCOME':
        this.handshake?.resolve(p as unknown as WelcomePayload);
        return;
      case 'DELIVER':
        void this.handleDeliver(env as unknown as Envelope<SendPayload>);
        return;
      case 'ACK':
        return this.handleAck(p as unknown as AckPayload, env.from);
      case 'PING':
        this.conn?.write(this.envelope('PONG', p));
        return;
      case 'ERROR':
        return this.handleError(p as unknown as ErrorPayload);
      case 'AGENT_READY': {
        const ready = p as unknown as AgentReadyPayload;
        for (const resolve of this.readyWaiters.get(ready.name) ?? []) resolve(ready);
        this.emit('agentReady', ready);
        return;
      }
      case 'BUSY':
        this.emit('busy', p as { retry_after_ms: number; queue_depth: number });
        return;
      case 'SPAWN_RESULT':
      case 'RELEASE_RESULT':
      case 'SEND_INPUT_RESULT':
      case 'LIST_WORKERS_RESULT':
        if (typeof p.replyTo === 'string') this.requests.resolve(p.replyTo, p);
        return;
      default:
        if (Object.values(QUERY_RESPONSE_TYPES).includes(env.type as never)) this.requests.resolve(env.id, p);
    }
  }

  private handleAck(ack: AckPayload, from?: string): void {
    const reply: SyncReply | undefined = ack.correlationId
      ? { from, correlationId: ack.correlationId, response: ack.response, responseData: ack.responseData }
      : undefined;
    if (!reply || !this.syncAcks.resolve(reply.correlationId, reply)) this.emit('ack', ack, from);
  }

  private handleError(error: ErrorPayload): void {
    if (error.code === 'RESUME_TOO_OLD') {
      this.resumeToken = undefined; // a fresh WELCOME follows
      return;
    }
    const err = new RelayError(error.code, error.message, error.replyTo);
    if (error.fatal) {
      this.fatal = error;
      // Refused at HELLO (reserved name, bad request): say why now rather than at the close that follows.
      this.handshake?.reject(err);
    }
    if (error.replyTo) {
      if (this.requests.reject(error.replyTo, err)) return;
      const correlationId = this.syncBySendId.get(error.replyTo);
      if (correlationId && this.syncAcks.reject(correlationId, err)) return;
    }
    if (this.listenerCount('daemonError') > 0) this.emit('daemonError', error);
  }

  private async handleDeliver(env: Envelope<SendPayload>): Promise<void> {
    const previous = this.seen.get(env.id);
    if (previous !== undefined) {
      // A redelivery or replay: our ACK was lost or not yet sent. Re-ACK once handled; never re-handle.
      if (previous) this.conn?.write(this.envelope('ACK', previous));
      return;
    }
    this.remember(env.id, null);
    const message = toMessage(env);
    let reply: MessageReply;
    for (const handler of [...this.handlers]) {
      try {
        const r = await handler(message);
        if (reply === undefined && r !== undefined) reply = r;
      } catch (err) {
        if (this.listenerCount('handlerError') > 0) this.emit('handlerError', err, message);
      }
    }
    const ack: AckPayload = { ack_id: env.id, seq: env.delivery?.seq };
    if (message.correlationId) {
      ack.correlationId = message.correlationId;
      if (typeof reply === 'string') ack.response = reply;
      else if (reply) Object.assign(ack, reply.response !== undefined ? { response: reply.response } : {}, reply.responseData !== undefined ? { responseData: reply.responseData } : {});
    }
    this.remember(env.id, ack);
    this.conn?.write(this.envelope('ACK', ack));
  }

  private remember(id: string, ack: AckPayload | null): void {
    this.seen.delete(id);
    this.seen.set(id, ack);
    if (this.seen.size > SEEN_LIMIT) this.seen.delete(this.seen.keys().next().value as string);
  }
}

function withDeadline<T>(promise: Promise<T>, ms: number, sentence: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RelayError('REQUEST_TIMEOUT', sentence)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

function toMessage(env: Envelope<SendPayload>): RelayMessage {
  const p = env.payload;
  return {
    id: env.id,
    from: env.from ?? '',
    to: env.to ?? '',
    body: p.body,
    kind: p.kind ?? 'message',
    data: p.data,
    thread: p.thread,
    topic: env.topic,
    ts: env.ts,
    meta: env.payload_meta,
    delivery: env.delivery ?? { seq: 0, session_id: '' },
    originalTo: env.delivery?.originalTo,
    correlationId: env.payload_meta?.sync?.correlationId,
  };
}
