import { join } from 'node:path';
import type { Envelope, SendPayload } from '../../lib/protocol';
import { RelayClient, type RelayMessage } from '../../lib/sdk';
import {
  createInjectionQueue,
  formatInjectedMessage,
  parseOutboxFile,
  spawnRequestOf,
  takeOutboxFile,
  type OutboxCommand,
} from '../relay-commands';
import type { RelayCommand } from '../relay-commands/grammar.mjs';
import { HeadlessScreen } from '../spawn/screen';
import { createTerminalReadiness, OUTPUT_QUIET_MS } from '../relay-commands/readiness';
import { isKeystrokes } from '../relay-commands/typing';
import { FallbackChain, MechanismUnavailableError, type FallbackChainOptions } from './fallback';
import { daemonMechanism, dashboardMechanism } from './mechanisms';

/**
 * The relay side of a wrapped terminal: relay commands are read from what its screen shows (a
 * headless screen and detector, the same as SpawnManager workers'), messages for it are typed in
 * with the same injection queue, and spawn/release go through the fallback chain. Knows nothing
 * about TTYs: `run.ts` feeds it output and gives it a writer.
 */

/** Output quiet this long counts as "ready to be typed into" (same figure as a worker's). */
export const QUIET_MS = OUTPUT_QUIET_MS;
const CONNECT_RETRY_MS = 2000;

export interface RelaySideOptions {
  name: string;
  projectRoot: string;
  /** `$AGENT_RELAY_OUTBOX` given to the command: `->relay-file:<id>` reads from here. */
  outboxDir: string;
  /** Types into the wrapped command's terminal. */
  write(data: string): void;
  /** The wrapped terminal's size (its headless screen wraps lines as the real one does). */
  cols: number;
  rows: number;
  env?: NodeJS.ProcessEnv;
  socketPath?: string;
  /** Called with a short notice for the person at the terminal (stderr). */
  notice?(text: string): void;
  onSpawn?: FallbackChainOptions['onSpawn'];
  onRelease?: FallbackChainOptions['onRelease'];
}

export interface RelaySide {
  readonly client: RelayClient;
  readonly chain: FallbackChain;
  /** Raw output of the wrapped command. */
  output(chunk: Buffer): void;
  /** The wrapped terminal was resized. */
  resize(cols: number, rows: number): void;
  /** What the person at this terminal typed (passed on to the command): messages wait until they pause. */
  typed(data: Buffer | string): void;
  /** Resolves when the connection has been tried once (connected or not). */
  ready: Promise<void>;
  close(): Promise<void>;
}

function toEnvelope(m: RelayMessage): Envelope<SendPayload> {
  return { v: 1, type: 'DELIVER', id: m.id, ts: m.ts, from: m.from, to: m.to, payload: { kind: m.kind, body: m.body, ...(m.thread ? { thread: m.thread } : {}) } } as Envelope<SendPayload>;
}

export function createRelaySide(options: RelaySideOptions): RelaySide {
  const notice = options.notice ?? (() => {});
  let lastOutputAt = 0;
  let lastTypedAt = 0;
  let closed = false;
  let retryTimer: NodeJS.Timeout | undefined;
  // Commands run one after another, in the order the agent printed them.
  let chainTail = Promise.resolve();
  const screen = new HeadlessScreen(options.cols, options.rows, {
    onCommands: (commands) => {
      for (const command of commands) chainTail = chainTail.then(() => act(command));
    },
  });
  const injection = createInjectionQueue({
    write: options.write,
    readiness: createTerminalReadiness({
      lastOutputAt: () => lastOutputAt,
      lastTypedAt: () => lastTypedAt,
      // A command that has printed nothing yet is not busy: type at once rather than wait the maximum.
      waitForFirstOutput: false,
      quietMs: QUIET_MS,
    }),
  });
  const client = new RelayClient({
    name: options.name,
    entityType: 'agent',
    socketPath: options.socketPath,
    env: options.env,
    hello: { cli: 'agent-relay run', program: 'agent-relay run' },
  });
  const chain = new FallbackChain({
    daemon: daemonMechanism(() => connected()),
    dashboard: dashboardMechanism(options.projectRoot, options.env),
    onSpawn: options.onSpawn,
    onRelease: options.onRelease,
  });

  /** Tell the wrapped agent what went wrong, the way workers are told: typed into its terminal. */
  const tell = (text: string) => void injection.enqueue(text).catch(() => {});

  // The SDK acks once the handler resolves: here, once the message has been typed in.
  client.onMessage((message) => injection.enqueue(formatInjectedMessage(toEnvelope(message))));
  client.on('daemonError', (error) => {
    if (error.replyTo) tell(`Relay error: ${error.code}: ${error.message}`);
  });
  client.on('disconnected', ({ willReconnect }) => {
    if (!closed) notice(willReconnect ? 'agent-relay: connection to the daemon lost; reconnecting…' : 'agent-relay: disconnected from the daemon.');
  });

  // One connect attempt at a time, shared by the retry loop and spawn/release: two concurrent
  // connects under one agent name would make the daemon drop the first (DUPLICATE_CONNECTION).
  let attempt: Promise<boolean> | undefined;
  let lastError: unknown;
  const tryConnect = (): Promise<boolean> =>
    (attempt ??= client
      .connect()
      .then(
        () => {
          notice(`agent-relay: connected as ${options.name}.`);
          return true;
        },
        (err: unknown) => {
          lastError = err;
          return false;
        },
      )
      .finally(() => (attempt = undefined)));

  const connectLoop = async (first: boolean): Promise<void> => {
    if (closed || client.state === 'ready' || (await tryConnect()) || closed) return;
    if (first) notice(`agent-relay: ${(lastError as Error).message} (will keep trying; the command runs anyway)`);
    retryTimer = setTimeout(() => void connectLoop(false), CONNECT_RETRY_MS);
    retryTimer.unref();
  };

  const connected = async (): Promise<RelayClient> => {
    if (client.state === 'ready') return client;
    // The SDK is already reconnecting on its own: do not start a second connection beside it.
    if (client.state === 'reconnecting') throw new MechanismUnavailableError('reconnecting to the daemon');
    if (await tryConnect()) return client;
    throw lastError;
  };

  const act = async (command: RelayCommand | OutboxCommand): Promise<void> => {
    try {
      switch (command.type) {
        case 'message':
          client.send(command.to, command.body, command.thread ? { thread: command.thread } : {});
          return;
        case 'spawn':
          await chain.spawn(spawnRequestOf(command));
          return;
        case 'release':
          await chain.release(command.name, { reason: ('reason' in command && command.reason) || `released by ${options.name}` });
          return;
        case 'relay-file': {
          const text = await takeOutboxFile(join(options.outboxDir, command.id));
          if (text === undefined) return tell(`Relay error: no outbox file "${command.id}" in $AGENT_RELAY_OUTBOX; write it before printing ->relay-file:${command.id}.`);
          const parsed = parseOutboxFile(text);
          if ('error' in parsed) return tell(`Relay error: outbox file "${command.id}": ${parsed.error}`);
          return act(parsed);
        }
      }
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      const what = command.type === 'message' ? `message to ${command.to}` : command.type === 'relay-file' ? `relay-file ${command.id}` : `${command.type} ${command.name}`;
      tell(`Relay error: ${what} failed (${typeof code === 'string' ? `${code}: ` : ''}${(err as Error).message})`);
    }
  };

  const ready = connectLoop(true);

  return {
    client,
    chain,
    ready,
    typed(data) {
      if (isKeystrokes(data)) lastTypedAt = Date.now();
    },
    output(chunk) {
      lastOutputAt = Date.now();
      screen.write(chunk);
    },
    resize(cols, rows) {
      screen.resize(cols, rows);
    },
    async close() {
      closed = true;
      clearTimeout(retryTimer);
      injection.close('The wrapped command exited.');
      await screen.flushCommands();
      screen.dispose();
      await chainTail.catch(() => {});
      await client.disconnect().catch(() => {});
    },
  };
}
