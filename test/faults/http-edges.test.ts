import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureProductionBuild, killAll, makeSandbox, startUp, type RelayProcess, type Sandbox } from '../server/helpers/relay-process';
import { http, stackTraceLines, until, type Reply } from './support/probes';

/**
 * Defect 7 (issue 10): the edges of the HTTP API answered outside its `{error: {code, message}}` shape:
 * `GET /api/workers/%ff%fe` → 500 text/plain, `TRACE /api/workers` → 500, an unknown `/api/*` → Next's
 * HTML 404, a wrong method → 405 with an empty body; and `since=` (empty) or `since=0x10` were taken
 * as 0 and 16.
 *
 * Against the real `agent-relay up`, with the token: every one of them is a JSON error that says what
 * was wrong and what to do.
 */

let sandbox: Sandbox;
let server: RelayProcess;
let origin: string;
let token: string;

beforeAll(async () => {
  await ensureProductionBuild();
  sandbox = makeSandbox();
  server = startUp(sandbox);
  const url = new URL(await server.url);
  origin = url.origin;
  token = url.searchParams.get('token')!;
}, 600_000);

afterAll(async () => {
  await killAll();
  sandbox?.cleanup();
});

const call = (method: string, rawPath: string, body?: unknown) =>
  http(`${origin}/`, {
    method,
    rawPath,
    headers: { Authorization: `Bearer ${token}`, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

function expectJsonError(reply: Reply, status: number, code: string): { code: string; message: string; field?: string } {
  expect(reply.status, reply.body.slice(0, 200)).toBe(status);
  expect(String(reply.headers['content-type'])).toMatch(/^application\/json/);
  const parsed = JSON.parse(reply.body) as { error: { code: string; message: string; field?: string } };
  expect(parsed.error.code).toBe(code);
  expect(parsed.error.message.length).toBeGreaterThan(20);
  return parsed.error;
}

describe('defect 7: every /api answer is JSON, bad input included', () => {
  it('a path that is not valid percent-encoded UTF-8 is 400 BAD_REQUEST, not 500 text/plain', async () => {
    const error = expectJsonError(await call('GET', '/api/workers/%ff%fe'), 400, 'BAD_REQUEST');
    expect(error.message).toMatch(/percent-encod/);
    expectJsonError(await call('DELETE', '/api/workers/%e9'), 400, 'BAD_REQUEST');
  });

  it('TRACE, PUT and other methods a route does not take are 405 METHOD_NOT_ALLOWED with Allow', async () => {
    for (const [method, path] of [['TRACE', '/api/workers'], ['PUT', '/api/workers'], ['PATCH', '/api/status'], ['POST', '/api/workers/x/output'], ['DELETE', '/api/messages']]) {
      const reply = await call(method, path);
      const error = expectJsonError(reply, 405, 'METHOD_NOT_ALLOWED');
      expect(error.message).toContain(method);
      expect(reply.headers.allow).toMatch(/GET/);
    }
    expect((await call('TRACE', '/api/workers')).headers.allow).toBe('GET, HEAD, POST, OPTIONS');
  });

  it('an unknown /api path is 404 NOT_FOUND as JSON, not the HTML page', async () => {
    for (const path of ['/api/nope', '/api', '/api/workers/x/y/z', '/api/workers/x/outputs']) {
      const error = expectJsonError(await call('GET', path), 404, 'NOT_FOUND');
      expect(error.message).toContain('/api/openapi.json');
    }
  });

  it('since= and other integer parameters take plain decimal digits only', async () => {
    expect((await call('POST', '/api/workers', { name: 'edges', cli: 'cat' })).status).toBe(201);
    await until(async () => (await call('GET', '/api/workers/edges/output?since=0')).status === 200, 'the worker edges');
    for (const query of ['since=', 'since=0x10', 'since=1e3', 'since=-1', 'since=%205', 'since=1.5', 'max=', 'max=0x10']) {
      const error = expectJsonError(await call('GET', `/api/workers/edges/output?${query}`), 400, 'BAD_REQUEST');
      expect(error.field).toBe(query.split('=')[0]);
    }
    for (const query of ['limit=', 'limit=0x10', 'before=', 'before=1e3']) {
      expectJsonError(await call('GET', `/api/messages?${query}`), 400, 'BAD_REQUEST');
    }
    // What is valid still is.
    expect((await call('GET', '/api/workers/edges/output?since=0&max=16')).status).toBe(200);
    expect((await call('GET', '/api/messages?limit=5&before=99999999999999')).status).toBe(200);
  });

  it('answers HEAD and OPTIONS as before, and logged no stack trace for any of this', async () => {
    expect((await call('HEAD', '/api/status')).status).toBe(200);
    const options = await call('OPTIONS', '/api/workers');
    expect(options.status).toBe(204);
    expect(String(options.headers.allow).split(', ').sort()).toEqual(['GET', 'HEAD', 'OPTIONS', 'POST']);
    expect(stackTraceLines(server.stderr())).toEqual([]);
  });
});
