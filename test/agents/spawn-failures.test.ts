import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as resolveRoute from '../../app/api/spawn/resolve/route';
import * as workersRoute from '../../app/api/workers/route';
import { RelayClient } from '../../lib/sdk';
import { publishRuntime } from '../../server/runtime';
import { runCli } from '../cli/helpers';
import { startMcpServer } from '../mcp/harness';
import { startAgentRelay, type AgentRelay } from './harness/relay';

/**
 * An agent CLI that exits right after it starts is a spawn failure everywhere a spawn is asked for
 * (HTTP API, CLI, MCP relay_spawn, protocol SPAWN_RESULT), carrying its last output; and the spawn
 * dialog's preview resolves the exact command line without starting anything. A stand-in
 * executable named `claude` is enough here: the profile is chosen by the executable's name.
 */

let relay: AgentRelay;
let standIn: string;
const FAILURE = 'stand-in claude: configuration is broken on purpose';

beforeAll(async () => {
  relay = await startAgentRelay();
  const bin = relay.folder('bin');
  standIn = join(bin, 'claude');
  writeFileSync(standIn, `#!/bin/sh\necho 'starting up'\necho '${FAILURE}' >&2\nexit 3\n`);
  chmodSync(standIn, 0o755);
  publishRuntime({
    router: relay.router,
    spawnManager: relay.manager,
    config: { version: '0.0.0-test', projectRoot: relay.projectRoot, socketPath: relay.socketPath, dataDir: relay.dataDir, dashboardUrl: '', startedAt: Date.now(), storageDriver: 'memory' },
    status: () => ({ version: '0.0.0-test', uptime: 1, agentCount: 0, workerCount: 0, socketPath: relay.socketPath, storage: { persistent: false, driver: 'memory', canRead: true, canWrite: true } }),
  });
});
afterAll(async () => {
  publishRuntime(undefined);
  await relay.close();
});

const post = (path: string, body: unknown) =>
  new Request(`http://127.0.0.1/api${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const env = () => {
  const e: NodeJS.ProcessEnv = { ...process.env, RELAY_SOCKET: relay.socketPath, AGENT_RELAY_HOME: join(relay.dir, 'relay-home') };
  delete e.AGENT_RELAY_PROJECT;
  return e;
};

describe('an agent CLI that exits at once', { timeout: 60_000 }, () => {
  it('HTTP API: 502 EXITED_AT_START with its last output, not 201', async () => {
    const res = await workersRoute.POST(post('/workers', { name: 'viaApi', cli: standIn }));
    expect(res.status).toBe(502);
    const body = (await res.json()) as { error: { code: string; message: string; field?: string } };
    expect(body.error.code).toBe('EXITED_AT_START');
    expect(body.error.field).toBe('cli');
    expect(body.error.message).toMatch(/^Claude Code exited with code 3 right after it started, so "viaApi" is not running\./);
    expect(body.error.message).toContain('starting up');
    expect(body.error.message).toContain(FAILURE);
  });

  it('protocol: SPAWN_RESULT success:false with the code and the output', async () => {
    const client = new RelayClient({ name: 'Prober', socketPath: relay.socketPath, reconnect: false });
    await client.connect();
    try {
      const err = await client.spawn({ name: 'viaSdk', cli: standIn }).catch((e: unknown) => e as { code?: string; message: string });
      expect(err).toMatchObject({ code: 'EXITED_AT_START' });
      expect((err as Error).message).toContain(FAILURE);
    } finally {
      await client.disconnect();
    }
  });

  it('CLI: agent-relay spawn exits non-zero and prints why', async () => {
    const run = await runCli(['spawn', 'viaCli', standIn], { cwd: relay.projectRoot, env: env(), timeoutMs: 30_000 });
    expect(run.code).not.toBe(0);
    expect(run.stdout).not.toContain('Spawned');
    expect(run.stderr).toContain('EXITED_AT_START');
    expect(run.stderr).toContain(FAILURE);
  });

  it('MCP: relay_spawn is a tool error with the output', async () => {
    const mcp = await startMcpServer(relay.projectRoot, env());
    try {
      const result = await mcp.call('relay_spawn', { name: 'viaMcp', cli: standIn });
      expect(result.isError).toBe(true);
      expect(result.text).toContain('EXITED_AT_START');
      expect(result.text).toContain(FAILURE);
    } finally {
      await mcp.close();
    }
  });
});

describe('the spawn preview (POST /api/spawn/resolve)', { timeout: 30_000 }, () => {
  it('gives the exact command line with and without "Skip permission prompts", starting nothing', async () => {
    const bin = join(relay.dir, 'bin');
    const path = `${bin}:${process.env.PATH}`;
    const skip = await resolveRoute.POST(post('/spawn/resolve', { name: 'Preview', cli: 'claude', model: 'opus', env: { PATH: path, IS_SANDBOX: '1' } }));
    expect(skip.status).toBe(200);
    const a = (await skip.json()) as { file: string; args: string[]; commandLine: string; agent: string; skipPermissions: boolean; mcp: boolean };
    expect(a).toMatchObject({ file: standIn, agent: 'Claude Code', skipPermissions: true, mcp: true });
    expect(a.args).toContain('--dangerously-skip-permissions');
    expect(a.args.slice(-2)).toEqual(['--model', 'opus']);
    expect(a.args[a.args.indexOf('--mcp-config') + 1]).toBe(join(relay.dataDir, 'mcp', 'Preview.json'));
    expect(a.commandLine.startsWith(`${standIn} --mcp-config `)).toBe(true);
    expect(a.commandLine).toContain(`--append-system-prompt 'You are "Preview"`);
    const ask = await resolveRoute.POST(post('/spawn/resolve', { name: 'Preview', cli: 'claude', interactive: true, env: { PATH: path } }));
    const b = (await ask.json()) as { args: string[]; skipPermissions: boolean };
    expect(b.skipPermissions).toBe(false);
    expect(b.args).not.toContain('--dangerously-skip-permissions');
    // Nothing ran and nothing was written.
    expect(relay.manager.getWorker('Preview')).toBeUndefined();
    expect(existsSync(join(relay.dataDir, 'mcp', 'Preview.json'))).toBe(false);
  });

  it('gives the error a spawn would: unknown executable, and root without IS_SANDBOX', async () => {
    const missing = await resolveRoute.POST(post('/spawn/resolve', { name: 'Preview', cli: 'no-such-agent-cli' }));
    expect(missing.status).toBe(422);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('CLI_NOT_FOUND');
    if (process.getuid?.() === 0) {
      const root = await resolveRoute.POST(post('/spawn/resolve', { name: 'Preview', cli: 'claude', env: { PATH: `${join(relay.dir, 'bin')}:${process.env.PATH}`, IS_SANDBOX: '' } }));
      expect(root.status).toBe(422);
      const body = (await root.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('ROOT_NOT_ALLOWED');
      expect(body.error.message).toContain('IS_SANDBOX=1');
    }
  });
});
