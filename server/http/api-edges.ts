import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { errorBody } from '../api/errors';
import { allowHeader, matchApiRoute } from '../api/routes';
import { logger } from '../logger';

/**
 * One JSON error path for every `/api/*` answer (issue 10). Route handlers already answer
 * `{error: {code, message}}` through server/api/errors.ts; what reached Next without a handler did not:
 * a path that is not UTF-8 (`%ff%fe`) was 500 text/plain, an unknown path Next's HTML 404, a method
 * no handler exports (TRACE, PUT) 500 or 405 with an empty body. So, after the token checks and
 * before Next:
 * - the path must be valid percent-encoded UTF-8 (400), name a documented route (404) and a method it
 *   takes (405 with Allow; OPTIONS is answered here, HEAD goes with GET): `answerApiEdge`;
 * - whatever Next still answers with an error status and no JSON (its own 500, say) is rewritten to
 *   the same shape on the way out: `keepErrorsJson`.
 */

const HEADERS = { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' } as const;

function send(res: ServerResponse, status: number, code: string, message: string, extra: OutgoingHttpHeaders = {}): void {
  const body = JSON.stringify(errorBody(code, message));
  res.writeHead(status, { ...HEADERS, 'Content-Length': Buffer.byteLength(body), ...extra });
  res.end(body);
}

function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

function decodesAsUtf8(path: string): boolean {
  try {
    decodeURIComponent(path);
    return true;
  } catch {
    return false;
  }
}

/** Answers a bad path, unknown route, OPTIONS or a method the route does not take. True when answered. */
export function answerApiEdge(req: IncomingMessage, res: ServerResponse): boolean {
  const path = pathOf(req);
  const method = (req.method ?? 'GET').toUpperCase();
  if (!decodesAsUtf8(path)) {
    send(res, 400, 'BAD_REQUEST', `The path ${JSON.stringify(path.slice(0, 200))} is not valid percent-encoded UTF-8; encode names with encodeURIComponent (worker names are letters, digits, ".", "_" and "-").`);
    return true;
  }
  const route = matchApiRoute(path);
  if (!route) {
    send(res, 404, 'NOT_FOUND', `There is no API route ${JSON.stringify(path.slice(0, 200))}; the routes are listed in /api/openapi.json.`);
    return true;
  }
  const allow = allowHeader(route);
  if (method === 'OPTIONS') {
    res.writeHead(204, { Allow: allow, 'Cache-Control': 'no-store' });
    res.end();
    return true;
  }
  if (!allow.split(', ').includes(method)) {
    send(res, 405, 'METHOD_NOT_ALLOWED', `${method.slice(0, 32)} is not allowed on ${route.template}; it takes ${allow}.`, { Allow: allow });
    return true;
  }
  return false;
}

const FALLBACK: Record<number, [string, string]> = {
  400: ['BAD_REQUEST', 'The request could not be understood; check the path, query and body against /api/openapi.json.'],
  404: ['NOT_FOUND', 'Nothing is there; the routes are listed in /api/openapi.json.'],
  405: ['METHOD_NOT_ALLOWED', 'This method is not allowed here; the routes and their methods are listed in /api/openapi.json.'],
  413: ['TOO_LARGE', 'The request is too large.'],
};

function fallbackFor(status: number): [string, string] {
  if (FALLBACK[status]) return FALLBACK[status];
  if (status >= 500) return ['INTERNAL', 'The server failed to answer this request; see the agent-relay log (`agent-relay up --verbose` for more), then retry.'];
  return [`HTTP_${status}`, `The request was refused (HTTP ${status}); see /api/openapi.json for what each route takes.`];
}

function contentTypeOf(res: ServerResponse, headers: unknown): string {
  if (headers && typeof headers === 'object' && !Array.isArray(headers)) {
    for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === 'content-type') return String(v);
  }
  if (Array.isArray(headers)) {
    for (let i = 0; i + 1 < headers.length; i += 2) if (String(headers[i]).toLowerCase() === 'content-type') return String(headers[i + 1]);
  }
  return String(res.getHeader('content-type') ?? '');
}

/**
 * Rewrites an error answer that is not JSON into `{error}` as its headers are written. The body the
 * original writer then sends is dropped; ours goes instead. Error answers are small and final, so
 * nothing a client needs is lost.
 */
export function keepErrorsJson(req: IncomingMessage, res: ServerResponse): void {
  const original = { writeHead: res.writeHead, write: res.write, end: res.end };
  let replacement: string | undefined;

  res.writeHead = function writeHead(this: ServerResponse, statusCode: number, ...rest: unknown[]) {
    const headers = rest.find((r) => typeof r === 'object' && r !== null);
    if (statusCode < 400 || /json/i.test(contentTypeOf(this, headers))) {
      return (original.writeHead as (...a: unknown[]) => ServerResponse).call(this, statusCode, ...rest);
    }
    const [code, message] = fallbackFor(statusCode);
    if (statusCode >= 500) logger.error({ status: statusCode, method: req.method, url: req.url?.slice(0, 200) }, 'API answer was a non-JSON error; answered as JSON');
    replacement = JSON.stringify(errorBody(code, message));
    for (const name of ['content-type', 'content-length', 'content-encoding', 'transfer-encoding', 'etag']) this.removeHeader(name);
    return original.writeHead.call(this, statusCode, { ...HEADERS, 'Content-Length': Buffer.byteLength(replacement) });
  } as typeof res.writeHead;

  // Decide before the first byte: Node writes implicit headers from inside write/end otherwise.
  const decide = (self: ServerResponse) => {
    if (!self.headersSent) self.writeHead(self.statusCode);
  };
  const callbackOf = (args: unknown[]) => args.find((a): a is () => void => typeof a === 'function');

  res.write = function write(this: ServerResponse, ...args: unknown[]) {
    decide(this);
    if (replacement === undefined) return (original.write as (...a: unknown[]) => boolean).apply(this, args);
    callbackOf(args)?.();
    return true;
  } as typeof res.write;

  res.end = function end(this: ServerResponse, ...args: unknown[]) {
    decide(this);
    if (replacement === undefined) return (original.end as (...a: unknown[]) => ServerResponse).apply(this, args);
    const body = replacement;
    replacement = '';
    return (original.end as (...a: unknown[]) => ServerResponse).call(this, body, callbackOf(args));
  } as typeof res.end;
}

/** For the server's last resort (a check that threw): 500 as JSON for the API, plain text elsewhere. */
export function answerInternalError(res: ServerResponse, api: boolean): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const [code, message] = fallbackFor(500);
  if (api) return send(res, 500, code, message);
  res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(`${message}\n`);
}
