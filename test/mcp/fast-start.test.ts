import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { prebuiltEntry } from '../../server/lifecycle/prebuilt.mjs';
import { sdkHandshakeAnswers } from '../../server/mcp/handshake';
import { BIN, useMcpFixture } from './harness';

/**
 * `mcp serve` prebuilt answers initialize and tools/list before it loads the MCP SDK
 * (server/mcp/fast-start.ts), from answers computed at build time (handshake.ts), then hands the
 * session to the SDK. What it answers must be what the SDK answers, and nothing may be lost in
 * the hand-over.
 */

const fx = useMcpFixture();

type Line = { id?: unknown; result?: Record<string, unknown>; error?: unknown };

/** Writes `lines` to `agent-relay mcp serve` one by one, each after the answers asked for so far; resolves with every answer by id. */
async function session(env: NodeJS.ProcessEnv, lines: Array<Record<string, unknown>>, want: unknown[]): Promise<Map<unknown, Line>> {
  const child = spawn(process.execPath, [BIN, 'mcp', 'serve'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  const answers = new Map<unknown, Line>();
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const all = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer for ${want.filter((id) => !answers.has(id)).join(', ')}: ${err.slice(-400)}`)), 30_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      for (let nl = out.indexOf('\n'); nl >= 0; nl = out.indexOf('\n')) {
        const m = JSON.parse(out.slice(0, nl)) as Line;
        out = out.slice(nl + 1);
        if (m.id !== undefined) answers.set(m.id, m);
      }
      if (want.every((id) => answers.has(id))) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  for (const line of lines) child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', ...line })}\n`);
  try {
    await all;
  } finally {
    child.stdin.end();
    await new Promise((r) => child.once('exit', r));
  }
  return answers;
}

const init = (protocolVersion: string) => ({ id: 1, method: 'initialize', params: { protocolVersion, capabilities: {}, clientInfo: { name: 'test', version: '0' } } });

describe('mcp serve: the handshake before the SDK', { timeout: 60_000 }, () => {
  it('the prebuilt CLI carries the computed handshake, and its answers are the SDK\'s, for this agent and the version asked', async () => {
    const entry = prebuiltEntry();
    expect(entry).toBeDefined();
    expect(existsSync(new URL('mcp-handshake.json', entry!))).toBe(true);
    const env = { ...fx.sandbox.env, RELAY_AGENT_NAME: 'Zed', RELAY_SOCKET: join(fx.sandbox.dir, 'nobody.sock') };
    for (const version of ['2025-06-18', '1999-01-01']) {
      const answers = await session(env, [init(version), { method: 'notifications/initialized' }, { id: 2, method: 'tools/list', params: {} }], [1, 2]);
      const sdk = await sdkHandshakeAnswers('Zed', version);
      expect(answers.get(1)!.result).toEqual(sdk.init);
      expect(answers.get(2)!.result).toEqual(sdk.list);
    }
    expect(JSON.parse(readFileSync(new URL('mcp-handshake.json', entry!), 'utf8')).initialize.instructions).not.toContain('Zed');
  });

  it('requests that come before or after the handshake reach the SDK, in order, against a real daemon', async () => {
    const daemon = await fx.startDaemon();
    const env = { ...fx.sandbox.env, RELAY_AGENT_NAME: 'Zed', RELAY_SOCKET: daemon.socketPath };
    // A call before tools/list (queued for the SDK) and one after it, and a ping.
    const answers = await session(env, [
      init('2025-06-18'),
      { method: 'notifications/initialized' },
      { id: 'early', method: 'tools/call', params: { name: 'relay_status', arguments: {} } },
      { id: 2, method: 'tools/list', params: {} },
      { id: 'late', method: 'tools/call', params: { name: 'relay_who', arguments: {} } },
      { id: 'ping', method: 'ping' },
    ], [1, 'early', 2, 'late', 'ping']);
    const text = (id: string) => ((answers.get(id)!.result!.content as Array<{ text: string }>)[0]).text;
    expect(answers.get('early')!.result!.isError).toBeFalsy();
    expect(text('early')).toContain('you are: Zed');
    expect(text('late')).toMatch(/Zed/);
    expect(answers.get('ping')!.result).toEqual({});
    expect((answers.get(2)!.result!.tools as unknown[]).length).toBe(11);
  });
});
