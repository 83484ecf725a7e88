import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterEach, beforeEach } from 'vitest';
import { dataDirFor, socketPathFor } from '../../lib/paths';
import { startDaemonServer } from '../../server/daemon';
import { removeMarkerIfOurs, writeMarker } from '../../server/lifecycle/marker';
import { createRouter } from '../../server/router/router';
import { createSpawnManager } from '../../server/spawn';
import { workerMcpHook } from '../../server/mcp/worker-config';
import { openStorage } from '../../server/storage';

/** A real daemon (storage, router, SpawnManager, Unix socket, marker) in a temp project, without the web half. */

export const REPO_ROOT = resolve(import.meta.dirname, '..', '..');
export const BIN = join(REPO_ROOT, 'bin', 'agent-relay.js');

export interface Sandbox {
  dir: string;
  projectRoot: string;
  /** A directory with no project and no socket anywhere above it. */
  elsewhere: string;
  home: string;
  env: NodeJS.ProcessEnv;
  cleanup(): void;
}

export function makeSandbox(): Sandbox {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'relay-mcp-')));
  const projectRoot = join(dir, 'project');
  const elsewhere = join(dir, 'elsewhere');
  const home = join(dir, 'home');
  for (const d of [projectRoot, elsewhere, home]) mkdirSync(d);
  writeFileSync(join(projectRoot, 'package.json'), '{"private":true}\n');
  const env: NodeJS.ProcessEnv = { ...process.env, AGENT_RELAY_HOME: home, AGENT_RELAY_LOG: 'warn' };
  // Nothing may point at another daemon (these tests may run inside a worker).
  for (const k of ['RELAY_SOCKET', 'AGENT_RELAY_PROJECT', 'AGENT_RELAY_OUTBOX', 'RELAY_AGENT_NAME', 'AGENT_RELAY_NAME', 'AGENT_RELAY_SPAWNER', 'NODE_ENV']) delete env[k];
  return { dir, projectRoot, elsewhere, home, env, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface TestDaemon {
  socketPath: string;
  close(): Promise<void>;
}

export async function startTestDaemon(sandbox: Sandbox): Promise<TestDaemon> {
  const { projectRoot } = sandbox;
  const dataDir = dataDirFor(projectRoot);
  const socketPath = socketPathFor(projectRoot);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const storage = openStorage({ driver: 'memory', dataDir });
  const router = createRouter({ storage });
  const spawnManager = createSpawnManager({ router, store: storage, projectRoot, dataDir, socketPath, mcp: workerMcpHook, policy: { releaseGraceMs: 1000 } });
  const daemon = await startDaemonServer({ socketPath, router, storage, spawnManager, statusExtras: () => ({ projectRoot }) });
  writeMarker({ socketPath, pid: process.pid, startedAt: new Date(), version: '0.0.0-test' }, sandbox.env);
  let closing: Promise<void> | undefined;
  return {
    socketPath,
    close: () =>
      (closing ??= (async () => {
        removeMarkerIfOurs(process.pid, sandbox.env);
        await spawnManager.close();
        await daemon.close();
        router.close();
        storage.close();
        rmSync(socketPath, { force: true });
      })()),
  };
}

type Closable = { close(): Promise<unknown> } | { disconnect(): Promise<unknown> };

export interface McpTestFixture {
  /** This test's sandbox (a fresh one for each test). */
  readonly sandbox: Sandbox;
  /** Starts this test's daemon in its sandbox; closed after the test, once everything owned is closed. */
  startDaemon(): Promise<TestDaemon>;
  /** Closed after the test, newest first (errors ignored: it may have closed already). */
  own<T extends Closable>(thing: T): T;
}

/**
 * The per-test setup every test here shares: a fresh sandbox before each test; after it, what the
 * test owned (MCP sessions, SDK clients) is closed, then its daemon, then the sandbox is removed.
 */
export function useMcpFixture(): McpTestFixture {
  let sandbox: Sandbox | undefined;
  let daemon: TestDaemon | undefined;
  const owned: Closable[] = [];
  beforeEach(() => {
    sandbox = makeSandbox();
  });
  afterEach(async () => {
    for (const thing of owned.splice(0).reverse()) await ('close' in thing ? thing.close() : thing.disconnect()).catch(() => {});
    await daemon?.close();
    daemon = undefined;
    sandbox?.cleanup();
    sandbox = undefined;
  });
  const current = (): Sandbox => {
    if (!sandbox) throw new Error('The sandbox exists only while a test runs.');
    return sandbox;
  };
  return {
    get sandbox() {
      return current();
    },
    async startDaemon() {
      daemon = await startTestDaemon(current());
      return daemon;
    },
    own(thing) {
      owned.push(thing);
      return thing;
    },
  };
}

export interface McpSession {
  client: Client;
  /** Calls a tool; returns its text and whether it is an error result. */
  call(name: string, args?: Record<string, unknown>): Promise<{ text: string; isError: boolean }>;
  stderr(): string;
  close(): Promise<void>;
}

/** `agent-relay mcp serve` as a child process, driven by the MCP SDK's own stdio client. */
export async function startMcpServer(cwd: string, env: NodeJS.ProcessEnv, extraEnv: Record<string, string> = {}): Promise<McpSession> {
  const childEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...env, ...extraEnv })) if (v !== undefined) childEnv[k] = v;
  const transport = new StdioClientTransport({ command: process.execPath, args: [BIN, 'mcp', 'serve'], cwd, env: childEnv, stderr: 'pipe' });
  let stderr = '';
  transport.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const client = new Client({ name: 'relay-test', version: '0.0.0' });
  await client.connect(transport);
  return {
    client,
    async call(name, args = {}) {
      const result = await client.callTool({ name, arguments: args });
      const content = result.content as Array<{ type: string; text?: string }>;
      return { text: content.map((c) => c.text ?? '').join('\n'), isError: result.isError === true };
    },
    stderr: () => stderr,
    close: () => client.close(),
  };
}

/** Polls `check` until it returns a value (behaviour, not timing: the deadline only bounds a hang). */
export async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, what: string, deadlineMs = 25_000): Promise<T> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
