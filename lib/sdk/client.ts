import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import {
  QUERY_RESPONSE_TYPES,
  type AckPayload,
  type AgentReadyPayload,
  type AgentSummary,
  type InjectAction,
  type InjectionState,
  type InboxMessageSchema,
  type ListConnectedAgentsResponseSchema,
  type ListWorkersResultSchema,
  type MessagesQuery,
  type QueryType,
  type ReleaseResultSchema,
  type SendInputResultSchema,
  type SendMeta,
  type SendPayload,
  type SetInjectModeResultSchema,
  type SpawnResultSchema,
  type StatusResponse,
  type StoredMessageView,
  type WorkerInfo,
} from '../protocol';
import { Deliveries } from './deliveries';
import { RelayError } from './errors';
import { DEFAULTS, RelaySession } from './session';
import type {
  MessageHandler,
  ReleaseOutcomeResult,
  SendAndWaitOptions,
  SendOptions,
  SpawnOptions,
  SpawnOutcome,
} from './types';
import type { WireEnvelope as Envelope } from './wire';

type InboxMessage = z.infer<typeof InboxMessageSchema>;
type WorkerResult = { success: boolean; error?: string; code?: string };
export interface SyncReply {
  from?: string;
  correlationId: string;
  response?: string;
  responseData?: unknown;
}

/** Spawn and release wait on processes (a release may take its whole grace period), so they get longer. */
const WORKER_REQUEST_TIMEOUT_MS = 60_000;
const DEFAULT_SYNC_TIMEOUT_MS = 30_000;
/** The daemon answers a sync timeout itself; our own timer is a backstop for a daemon that never does. */
const SYNC_BACKSTOP_MS = 2000;

/**
 * A connection to the agent-relay daemon (protocol v1 over its Unix socket). Node-only.
 * Connection, handshake, reconnect and resume live in RelaySession; this is the API.
 */
export class RelayClient extends RelaySession {
  private readonly deliveries = new Deliveries((err, message) => {
    if (this.listenerCount('handlerError') > 0) this.emit('handlerError', err, message);
  });
  private readonly readyWaiters = new Map<string, Set<(p: AgentReadyPayload) => void>>();

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
    return this.deliveries.add(handler);
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

  /**
   * hold / flush / auto for the messages typed into a worker: `hold` queues them (in order, unacked),
   * `flush` types what is held now and keeps holding, `auto` delivers as soon as the worker is ready.
   */
  async setInjectMode(name: string, mode: InjectAction): Promise<{ injection?: InjectionState; flushed: number }> {
    const r = await this.workerRequest<z.infer<typeof SetInjectModeResultSchema>>('SET_INJECT_MODE', { name, mode }, this.requestTimeout, `Setting deliveries of ${name} to ${mode}`);
    return { injection: r.injection, flushed: r.flushed ?? 0 };
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

  private async workerRequest<T extends WorkerResult>(type: string, payload: object, timeoutMs: number, describe: string): Promise<T> {
    const result = await this.request<T>(type, payload, timeoutMs, describe);
    if (!result.success) throw new RelayError(result.code ?? 'INTERNAL', result.error ?? `${describe} failed.`);
    return result;
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

  // ---- incoming frames ----

  protected handleFrame(env: Envelope<Record<string, unknown>>): void {
    const p = env.payload ?? {};
    switch (env.type) {
      case 'DELIVER':
        void this.deliveries.handle(env as unknown as Envelope<SendPayload>, (ack) => this.conn?.write(this.envelope('ACK', ack)));
        return;
      case 'ACK':
        return this.handleAck(p as unknown as AckPayload, env.from);
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
      case 'SET_INJECT_MODE_RESULT':
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

}

function withDeadline<T>(promise: Promise<T>, ms: number, sentence: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RelayError('REQUEST_TIMEOUT', sentence)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
