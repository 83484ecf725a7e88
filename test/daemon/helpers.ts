import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FrameParser, encodeFrame, type ParsedFrame } from '../../lib/protocol';
import { startDaemonServer, type DaemonServer, type DaemonServerOptions } from '../../server/daemon';
import { createRouter, type Router, type RouterOptions } from '../../server/router';
import { openStorage, type Storage } from '../../server/storage';

export interface TestDaemon {
  dir: string;
  socketPath: string;
  storage: Storage;
  router: Router;
  daemon: DaemonServer;
  /** Stop the daemon and router, close storage, remove the temp dir. */
  stop(options?: { keepDir?: boolean }): Promise<void>;
}

export interface TestDaemonOptions {
  dir?: string;
  driver?: 'sqlite' | 'memory';
  router?: Omit<RouterOptions, 'storage'>;
  daemon?: Partial<Omit<DaemonServerOptions, 'socketPath' | 'router' | 'storage'>>;
}

export function tempDir(prefix = 'relay-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export async function startTestDaemon(options: TestDaemonOptions = {}): Promise<TestDaemon> {
  const dir = options.dir ?? tempDir();
  process.env.AGENT_RELAY_HOME = join(dir, 'home');
  const storage = openStorage({ driver: options.driver ?? 'sqlite', dataDir: join(dir, 'data') });
  const router = createRouter({ storage, ...options.router });
  const socketPath = join(dir, 'relay.sock');
  const daemon = await startDaemonServer({ socketPath, router, storage, ...options.daemon });
  return {
    dir, socketPath, storage, router, daemon,
    async stop({ keepDir = false } = {}) {
      await daemon.close();
      router.close();
      storage.close();
      if (!keepDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

let counter = 0;
export function env(type: string, payload: unknown = {}, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { v: 1, type, id: `t-${++counter}`, ts: Date.now(), payload, ...extra };
}

/**
 * The RawClients a test file opens on its daemon (`socketPath` is read when a client is opened), and
 * `closeAll` for its afterEach: `hello` connects and says HELLO, `raw` only connects.
 */
export function rawClients(socketPath: () => string) {
  const open: RawClient[] = [];
  const keep = (c: RawClient) => (open.push(c), c);
  return {
    hello: async (name: string, payload: Record<string, unknown> = {}) => keep(await RawClient.hello(socketPath(), name, payload)),
    raw: async () => keep(await RawClient.connect(socketPath())),
    closeAll: () => {
      for (const c of open.splice(0)) c.close();
    },
  };
}

/** A bare protocol client over a real socket: writes raw bytes or frames, collects every frame back. */
export class RawClient {
  readonly frames: ParsedFrame[] = [];
  closed = false;
  private readonly parser = new FrameParser();
  private waiters: (() => void)[] = [];

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk) => {
      try {
        for (const frame of this.parser.push(chunk)) this.frames.push(frame);
      } catch {
        this.socket.destroy();
      }
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  static connect(socketPath: string): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = createConnection(socketPath);
      socket.once('connect', () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  /** Connect, HELLO, wait for WELCOME. */
  static async hello(socketPath: string, agent: string, payload: Record<string, unknown> = {}): Promise<RawClient> {
    const client = await RawClient.connect(socketPath);
    client.send(env('HELLO', { agent, ...payload }));
    await client.waitFor((f) => f.type === 'WELCOME');
    return client;
  }

  send(envelope: unknown): void {
    this.socket.write(encodeFrame(envelope));
  }

  write(bytes: Buffer | string): void {
    this.socket.write(bytes);
  }

  of(type: string): ParsedFrame[] {
    return this.frames.filter((f) => f.type === type);
  }

  /** Wait until a frame matches (already received ones count). */
  async waitFor(match: (f: ParsedFrame) => boolean, timeoutMs = 5000): Promise<ParsedFrame> {
    const found = await this.until(() => this.frames.find(match), timeoutMs);
    return found;
  }

  async waitForCount(type: string, count: number, timeoutMs = 5000): Promise<ParsedFrame[]> {
    await this.until(() => (this.of(type).length >= count ? true : undefined), timeoutMs);
    return this.of(type);
  }

  async waitClosed(timeoutMs = 5000): Promise<void> {
    await this.until(() => (this.closed ? true : undefined), timeoutMs);
  }

  async until<T>(check: () => T | undefined, timeoutMs: number): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = check();
      if (value !== undefined && value !== false) return value;
      if (Date.now() > deadline) throw new Error(`timed out; frames: ${JSON.stringify(this.frames.map((f) => f.type))}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 50);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.socket.destroy();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
