import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RequestLog, type LoggedRequest, type ModelScript } from './script';

/**
 * The HTTP half every scripted model server shares: loopback on a free port, JSON bodies, a log of
 * every request (unknown paths too: a CLI calling something we do not serve shows up in failures),
 * and Server-Sent Events. An API module (anthropic.ts, and the OpenAI / Gemini ones) supplies routes.
 */

export interface RouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  body: unknown;
  script: ModelScript;
  /** Fills in the log entry for this request (model request, turn, rule). */
  note(fields: Partial<LoggedRequest>): void;
}

export interface Route {
  method: string;
  /** Matched against the path (no query string). */
  path: RegExp;
  handle(ctx: RouteContext): void | Promise<void>;
}

export interface ModelServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  log: RequestLog;
  script: ModelScript;
  close(): Promise<void>;
}

export async function startModelServer(routes: Route[], script: ModelScript): Promise<ModelServer> {
  const log = new RequestLog();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown = raw;
      try {
        body = raw ? JSON.parse(raw) : undefined;
      } catch {
        // Logged as text.
      }
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const entry: LoggedRequest = { at: Date.now(), method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body, status: 0 };
      const route = routes.find((r) => r.method === req.method && r.path.test(url.pathname));
      const finish = () => {
        entry.status = res.statusCode;
        log.push(entry);
      };
      res.once('finish', finish);
      res.once('close', () => {
        if (!entry.status) finish();
      });
      if (!route) {
        sendJson(res, 404, { type: 'error', error: { type: 'not_found_error', message: `The scripted model server has no ${req.method} ${url.pathname}.` } });
        return;
      }
      Promise.resolve(route.handle({ req, res, url, body, script, note: (f) => Object.assign(entry, f) })).catch((err: unknown) => {
        if (!res.headersSent) sendJson(res, 500, { type: 'error', error: { type: 'api_error', message: String(err) } });
        else res.end();
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    log,
    script,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** An SSE stream: `send(event, data)` writes one event (`event:` line omitted when event is undefined). */
export function openSse(res: ServerResponse): { send(event: string | undefined, data: unknown): void; end(): void } {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  return {
    send(event, data) {
      res.write(`${event ? `event: ${event}\n` : ''}data: ${JSON.stringify(data)}\n\n`);
    },
    end() {
      res.end();
    },
  };
}
