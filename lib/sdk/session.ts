import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { discoverSocket } from '../discovery';
import { PROTOCOL_VERSION, type ErrorPayload, type HelloPayload, type ParsedFrame, type WelcomePayload } from '../protocol';
import { FramedConnection } from './connection';
import { noDaemonError, RelayError } from './errors';
import { PendingRequests } from './pending';
import type { ClientState, RelayClientEvents, RelayClientOptions } from './types';
import type { WireEnvelope as Envelope } from './wire';

export const DEFAULTS = { reconnectDelayMs: 250, reconnectMaxDelayMs: 10_000, connectTimeoutMs: 5000, requestTimeoutMs: 15_000 };

/**
 * The session half of RelayClient: discovery, HELLO/WELCOME, PING/PONG, reconnect with backoff and
 * resume, and the requests waiting for answers (failed at once when the connection drops).
 * RelayClient adds the API and the handling of every other frame type.
 */
export abstract class RelaySession extends EventEmitter {
  readonly name: string;
  protected readonly options: RelayClientOptions;
  protected conn?: FramedConnection;
  private _state: ClientState = 'idle';
  private _socketPath?: string;
  private sessionId?: string;
  private resumeToken?: string;
  private fatal?: ErrorPayload;
  private reconnectAttempts = 0;
  private reconnectTimer?: NodeJS.Timeout;
  private handshake?: { resolve: (w: WelcomePayload) => void; reject: (e: Error) => void };
  /** Queries and worker requests, keyed by request id. */
  protected readonly requests = new PendingRequests();
  /** sendAndWait calls, keyed by correlationId; syncBySendId maps the SEND id an ERROR names to it. */
  protected readonly syncAcks = new PendingRequests();
  protected readonly syncBySendId = new Map<string, string>();
  protected readonly topics = new Set<string>();

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

  /** Every frame other than WELCOME, PING and ERROR. */
  protected abstract handleFrame(env: Envelope<Record<string, unknown>>): void;

  /** Sends a request and waits for the frame naming its id (a query response's id, or a result's payload.replyTo). */
  protected request<T>(type: string, payload: object, timeoutMs: number, describe: string): Promise<T> {
    const env = this.envelope(type, payload);
    const answer = this.requests.wait<T>(env.id, timeoutMs, describe);
    try {
      this.write(env);
    } catch (err) {
      this.requests.reject(env.id, err as Error);
    }
    return answer;
  }

  protected envelope<P>(type: string, payload: P): Envelope<P> {
    return { v: PROTOCOL_VERSION, type, id: randomUUID(), ts: Date.now(), payload };
  }

  protected write(env: Envelope<unknown>): void {
    if (this._state !== 'ready' || !this.conn?.write(env)) {
      const why = this._state === 'reconnecting' ? 'is reconnecting to the daemon; retry after the "connected" event' : 'is not connected; call connect() first';
      throw new RelayError('NOT_CONNECTED', `RelayClient "${this.name}" ${why}.`);
    }
  }

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

  private onFrame(frame: ParsedFrame): void {
    const env = frame as unknown as Envelope<Record<string, unknown>>;
    const p = env.payload ?? {};
    if (this.listenerCount('frame') > 0) this.emit('frame', frame);
    switch (env.type) {
      case 'WELCOME':
        this.handshake?.resolve(p as unknown as WelcomePayload);
        return;
      case 'PING':
        this.conn?.write(this.envelope('PONG', p));
        return;
      case 'ERROR':
        return this.handleError(p as unknown as ErrorPayload);
      default:
        this.handleFrame(env);
    }
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
}
