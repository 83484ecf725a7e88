import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keepErrorsJson } from '../../server/http/api-edges';

/**
 * keepErrorsJson, the last line of "every /api answer is JSON": whatever writes an error status without
 * JSON (Next's own 500 page, a bare writeHead(500)) is rewritten as `{error}`, in each way Node lets a
 * response be written. Real HTTP over a real socket.
 */

const writers: Record<string, (res: ServerResponse) => void> = {
  'writeHead-end': (res) => res.writeHead(500, { 'Content-Type': 'text/plain' }).end('Internal Server Error'),
  'statusCode-setHeader-end': (res) => {
    res.statusCode = 404;
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.setHeader('Content-Length', '13');
    res.end('<html></html>');
  },
  'bare-writeHead': (res) => res.writeHead(500).end(),
  'chunks': (res) => {
    res.statusCode = 500;
    res.write('part one, ');
    res.write('part two');
    res.end();
  },
  'json-error-untouched': (res) => res.writeHead(409, { 'Content-Type': 'application/json' }).end('{"error":{"code":"NAME_TAKEN","message":"kept"}}'),
  'ok-text-untouched': (res) => res.writeHead(200, { 'Content-Type': 'application/octet-stream' }).end('raw bytes'),
};

let server: Server;
let port: number;

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    keepErrorsJson(req, res);
    writers[req.url!.slice(1)]!(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

function get(path: string): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, type: String(res.headers['content-type']), body }));
    })
      .on('error', reject)
      .end();
  });
}

describe('keepErrorsJson', () => {
  it.each(['writeHead-end', 'statusCode-setHeader-end', 'bare-writeHead', 'chunks'])('rewrites a non-JSON error written by %s as {error}', async (how) => {
    const reply = await get(`/${how}`);
    expect(reply.type).toMatch(/^application\/json/);
    const { error } = JSON.parse(reply.body) as { error: { code: string; message: string } };
    expect(error.code).toBe(reply.status === 404 ? 'NOT_FOUND' : 'INTERNAL');
    expect(error.message).toMatch(/openapi\.json|agent-relay log/);
  });

  it('leaves JSON errors and successful answers as they were', async () => {
    expect(await get('/json-error-untouched')).toMatchObject({ status: 409, body: '{"error":{"code":"NAME_TAKEN","message":"kept"}}' });
    expect(await get('/ok-text-untouched')).toEqual({ status: 200, type: 'application/octet-stream', body: 'raw bytes' });
  });
});
