import type { IncomingMessage, ServerResponse } from 'node:http';
import { allowedHostNames, hostHeaderAllowed, originAllowed } from './hosts';
import { tokenMatches } from './token';

/**
 * The checks every request to the dashboard passes before Next or socket.io sees it:
 * 1. Host header names this server (DNS rebinding), else 403.
 * 2. A state-changing request (POST/PUT/PATCH/DELETE) carries our own Origin, else 403.
 * 3. The token, from the cookie, `Authorization: Bearer`, or `?token=`, else 401.
 * A page visited with a correct `?token=` gets the cookie and a redirect to the clean URL, so the
 * token does not linger in the address bar or history.
 *
 * Next's build assets (`/_next/static/*`) and `/favicon.ico` are public: they are the same for every
 * install and hold no data, and a browser fetches them without credentials in some cases (preload).
 */

export const TOKEN_COOKIE = 'agent_relay_token';
const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export interface SecurityPolicy {
  token: string;
  /** The host the server was asked to bind (127.0.0.1 by default). */
  host: string;
  /** The port actually listened on (known only after listen when 0 was asked). */
  port: () => number;
}

export type Denial = {
  kind: 'deny';
  status: 401 | 403;
  code: 'UNAUTHORIZED' | 'FORBIDDEN_HOST' | 'FORBIDDEN_ORIGIN';
  message: string;
  /** Answer as JSON (`/api/*`, socket.io) rather than as an HTML page. */
  json: boolean;
};
export type Decision = { kind: 'allow' } | { kind: 'redirect'; location: string; setCookie: string } | Denial;

type RequestLike = Pick<IncomingMessage, 'method' | 'url' | 'headers'>;

export function isPublicAsset(pathname: string): boolean {
  return pathname.startsWith('/_next/static/') || pathname === '/favicon.ico';
}

export function isApiPath(pathname: string): boolean {
  return pathname === '/api' || pathname.startsWith('/api/');
}

export function parseCookies(header: string | undefined): Record<string, string> {
  const cookies: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const key = part.slice(0, eq).trim();
    const raw = part.slice(eq + 1).trim();
    try {
      cookies[key] = decodeURIComponent(raw);
    } catch {
      cookies[key] = raw;
    }
  }
  return cookies;
}

function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  return match?.[1];
}

/** Where the request's token came from, if any matched. */
export function tokenSource(req: RequestLike, url: URL, token: string, extra?: string): 'cookie' | 'header' | 'query' | 'auth' | undefined {
  if (tokenMatches(token, bearerToken(req.headers.authorization))) return 'header';
  if (tokenMatches(token, url.searchParams.get('token'))) return 'query';
  if (tokenMatches(token, parseCookies(req.headers.cookie)[TOKEN_COOKIE])) return 'cookie';
  if (extra !== undefined && tokenMatches(token, extra)) return 'auth';
  return undefined;
}

function requestUrl(req: RequestLike): URL {
  // The base only gives relative request targets something to resolve against.
  return new URL(req.url ?? '/', 'http://relay.invalid');
}

function deny(status: Denial['status'], code: Denial['code'], message: string, json: boolean): Denial {
  return { kind: 'deny', status, code, message, json };
}

export function checkHttpRequest(req: RequestLike, policy: SecurityPolicy, allowed = allowedHostNames(policy.host)): Decision {
  const url = requestUrl(req);
  const json = isApiPath(url.pathname);
  const port = policy.port();
  if (!hostHeaderAllowed(req.headers.host, allowed, port)) {
    return deny(403, 'FORBIDDEN_HOST', `Host "${req.headers.host ?? ''}" is not this agent-relay server; open the URL printed by \`agent-relay up\`.`, json);
  }
  if (isPublicAsset(url.pathname)) return { kind: 'allow' };

  const source = tokenSource(req, url, policy.token);
  const origin = req.headers.origin;
  if (STATE_CHANGING.has((req.method ?? 'GET').toUpperCase())) {
    // Browsers always send Origin on these methods. Programs (CLI, wrapper) send none but must
    // then carry the token in a header or the query: a cookie alone never authorises a write
    // without a matching Origin, which is what makes cross-site request forgery impossible.
    const originOk = origin === undefined ? source === 'header' || source === 'query' : originAllowed(origin, allowed, port);
    if (!originOk) {
      return deny(403, 'FORBIDDEN_ORIGIN', `Origin "${origin ?? '(none)'}" may not change this agent-relay server; use the dashboard at the URL printed by \`agent-relay up\`.`, json);
    }
  }

  if (!source) {
    return deny(401, 'UNAUTHORIZED', 'Missing or wrong dashboard token: open the URL printed by `agent-relay up` (it carries ?token=…), or send `Authorization: Bearer <token>` from .agent-relay/dashboard-token.', json);
  }
  const method = (req.method ?? 'GET').toUpperCase();
  if (source === 'query' && !json && (method === 'GET' || method === 'HEAD')) {
    url.searchParams.delete('token');
    const location = `${url.pathname}${url.search}`;
    return { kind: 'redirect', location, setCookie: tokenCookie(policy.token) };
  }
  return { kind: 'allow' };
}

export function tokenCookie(token: string): string {
  return `${TOKEN_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict`;
}

/**
 * socket.io's `allowRequest`: Host must be ours, Origin (browsers send it on WebSocket, not always on
 * same-origin polling) must be ours when present, and the token must come with the request (cookie,
 * header, `?token=`) or as `authToken` (socket.io's `auth.token`, for a middleware).
 */
export function authorizeSocketHandshake(req: RequestLike, policy: SecurityPolicy, authToken?: string, allowed = allowedHostNames(policy.host)): { kind: 'allow' } | Denial {
  const port = policy.port();
  if (!hostHeaderAllowed(req.headers.host, allowed, port)) {
    return deny(403, 'FORBIDDEN_HOST', `Host "${req.headers.host ?? ''}" is not this agent-relay server.`, true);
  }
  const origin = req.headers.origin;
  if (origin !== undefined && !originAllowed(origin, allowed, port)) {
    return deny(403, 'FORBIDDEN_ORIGIN', `Origin "${origin}" may not connect to this agent-relay server.`, true);
  }
  if (!tokenSource(req, requestUrl(req), policy.token, authToken)) {
    return deny(401, 'UNAUTHORIZED', 'Missing or wrong dashboard token: connect with the agent_relay_token cookie or auth.token.', true);
  }
  return { kind: 'allow' };
}

const UNAUTHORIZED_PAGE = (message: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>agent-relay: sign in</title>
<style>body{font:16px system-ui,sans-serif;background:#111;color:#ddd;max-width:36rem;margin:4rem auto;padding:0 1rem}code{background:#222;padding:.1rem .3rem}</style>
</head><body><h1>agent-relay</h1><p>${message.replace(/[<>&]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;' })[c]!)}</p>
<p>Run <code>agent-relay up</code> (or <code>npm start</code>) and open the <code>http://127.0.0.1:…/?token=…</code> link it prints.</p></body></html>
`;

/** Writes the decision's answer. Returns true when the request was answered (not to be passed on). */
export function answerDecision(res: ServerResponse, decision: Decision): boolean {
  if (decision.kind === 'allow') return false;
  if (decision.kind === 'redirect') {
    res.writeHead(302, { Location: decision.location, 'Set-Cookie': decision.setCookie, 'Cache-Control': 'no-store' });
    res.end();
    return true;
  }
  if (decision.json) {
    res.writeHead(decision.status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(JSON.stringify({ error: { code: decision.code, message: decision.message } }));
  } else {
    res.writeHead(decision.status, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(UNAUTHORIZED_PAGE(decision.message));
  }
  return true;
}
