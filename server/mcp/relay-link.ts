import { randomUUID } from 'node:crypto';
import { PROTOCOL_VERSION, type ErrorPayload, type ParsedFrame, type SpawnRequest } from '../../lib/protocol';
import { RelayClient, RelayError, isUnreachableError, type RelayMessage } from '../../lib/sdk';
import { FramedConnection } from '../../lib/sdk/connection';

/**
 * The MCP server's hold on the daemon. Survives the daemon's absence: every call (and a background
 * timer) reconnects through discovery, so a daemon started or restarted later is found, from any
 * working directory (the active-daemon marker). The client does not reconnect on its own: one owner
 * of the retry policy, so a tool call never races a background reconnect.
 *
 * Two identities:
 * - standalone (an editor's agent): HELLO as `agentName`; messages for it are buffered for relay_inbox.
 * - terminal mode (inside a worker or `agent-relay run`, whose terminal already receives its messages):
 *   HELLO as an internal `__mcp-<pid>` helper and send *as* the agent over a no-HELLO connection
 *   (protocol.md: a SEND with envelope `from` before HELLO), so the agent's own delivery is not taken over.
 */

export const NOT_RUNNING_HINT = 'Start it with: agent-relay up';
const RETRY_MS = 2000;
/** How long relay_send waits for the daemon to refuse a send (unknown recipient) before calling it sent. */
const REFUSAL_WINDOW_MS = 300;
const INBOX_LIMIT = 500;

export class DaemonUnavailableError extends Error {
  readonly code = 'DAEMON_UNAVAILABLE';
  constructor(cause: unknown) {
    const said = cause instanceof Error ? cause.message : String(cause);
    // The SDK's own sentences already name the fix; others get it added.
    super(said.includes('agent-relay up') ? said : `No agent-relay daemon is reachable (${said}). ${NOT_RUNNING_HINT}`);
    this.name = 'DaemonUnavailableError';
  }
}

export interface RelayLinkOptions {
  agentName: string;
  terminalMode: boolean;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Background reconnect interval while the daemon is away (0 disables; tests). */
  retryMs?: number;
}

export class RelayLink {
  readonly agentName: string;
  readonly terminalMode: boolean;
  private readonly client: RelayClient;
  private connecting?: Promise<RelayClient>;
  private retryTimer?: NodeJS.Timeout;
  private closed = false;
  private readonly inbox: RelayMessage[] = [];

  constructor(private readonly options: RelayLinkOptions) {
    this.agentName = options.agentName;
    this.terminalMode = options.terminalMode;
    const helloName = options.terminalMode ? `__mcp-${process.pid}` : options.agentName;
    this.client = new RelayClient({
      name: helloName,
      env: options.env,
      cwd: options.cwd,
      reconnect: false,
      connectTimeoutMs: 3000,
      hello: { cli: 'mcp', program: 'agent-relay mcp' },
    });
    this.client.on('disconnected', () => this.scheduleRetry());
    // Refusals of plain sends arrive as events; relay_send listens for its own.
    this.client.on('daemonError', () => {});
    if (!options.terminalMode) {
      this.client.onMessage((message) => {
        this.inbox.push(message);
        if (this.inbox.length > INBOX_LIMIT) this.inbox.shift();
      });
    }
  }

  /** Tries once now (so messages for us are received from the start); never throws. */
  start(): void {
    this.connected().catch(() => this.scheduleRetry());
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    await this.client.disconnect().catch(() => {});
  }

  get socketPath(): string | undefined {
    return this.client.socketPath;
  }

  /** The connected client, connecting first if needed. Throws DaemonUnavailableError when no daemon answers. */
  async connected(): Promise<RelayClient> {
    if (this.client.state === 'ready') return this.client;
    this.connecting ??= this.client
      .connect()
      .then(() => this.client)
      .catch((err) => {
        throw isUnreachableError(err) || err instanceof RelayError ? new DaemonUnavailableError(err) : err;
      })
      .finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  /** Runs `fn` on the connected client; a connection lost mid-call becomes DaemonUnavailableError too. */
  async call<T>(fn: (client: RelayClient) => Promise<T>): Promise<T> {
    const client = await this.connected();
    try {
      return await fn(client);
    } catch (err) {
      if (isUnreachableError(err)) throw new DaemonUnavailableError(err);
      throw err;
    }
  }

  /** Sends as the agent; resolves with the message id, rejects with the daemon's refusal (e.g. NOT_FOUND). */
  async send(to: string, body: string, thread?: string): Promise<string> {
    if (this.terminalMode) return this.sendWithoutHello(to, body, thread);
    return this.call(async (client) => {
      let refusal: ErrorPayload | undefined;
      const onError = (error: ErrorPayload) => {
        if (error.replyTo === id) refusal = error;
      };
      client.on('daemonError', onError);
      const id = client.send(to, body, { thread });
      try {
        await waitFor(() => refusal !== undefined, REFUSAL_WINDOW_MS);
      } finally {
        client.off('daemonError', onError);
      }
      if (refusal) throw new RelayError(refusal.code, refusal.message, id);
      return id;
    });
  }

  /** Messages received since the last call (standalone mode), oldest first. */
  drainInbox(): RelayMessage[] {
    return this.inbox.splice(0, this.inbox.length);
  }

  async spawn(request: SpawnRequest) {
    const spawnerName = this.terminalMode ? this.agentName : undefined;
    return this.call((c) => c.spawn({ ...request, ...(spawnerName ? { spawnerName } : {}) }));
  }

  private scheduleRetry(): void {
    const every = this.options.retryMs ?? RETRY_MS;
    if (this.closed || every <= 0 || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.closed || this.client.state === 'ready') return;
      this.connected().catch(() => this.scheduleRetry());
    }, every);
    this.retryTimer.unref();
  }

  /** A one-off connection without HELLO carrying `from`: the daemon routes it as sent by the agent. */
  private async sendWithoutHello(to: string, body: string, thread?: string): Promise<string> {
    await this.connected(); // discovers the socket and proves the daemon is there
    const socketPath = this.client.socketPath!;
    const id = randomUUID();
    let refusal: ErrorPayload | undefined;
    const onFrame = (frame: ParsedFrame) => {
      const env = frame as unknown as { type: string; payload?: ErrorPayload };
      if (env.type === 'ERROR' && env.payload?.replyTo === id) refusal = env.payload;
    };
    let conn: FramedConnection;
    try {
      conn = await FramedConnection.open(socketPath, 3000, onFrame, () => {});
    } catch (err) {
      throw new DaemonUnavailableError(err);
    }
    try {
      conn.write({
        v: PROTOCOL_VERSION,
        type: 'SEND',
        id,
        ts: Date.now(),
        from: this.agentName,
        to,
        payload: { kind: 'message', body, ...(thread ? { thread } : {}) },
      });
      await waitFor(() => refusal !== undefined, REFUSAL_WINDOW_MS);
    } finally {
      conn.end();
    }
    if (refusal) throw new RelayError(refusal.code, refusal.message, id);
    return id;
  }
}

function waitFor(predicate: () => boolean, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const started = Date.now();
    const tick = () => (predicate() || Date.now() - started >= ms ? resolve() : setTimeout(tick, 20));
    tick();
  });
}
