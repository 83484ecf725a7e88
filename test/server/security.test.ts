import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  TOKEN_COOKIE,
  authorizeSocketHandshake,
  checkHttpRequest,
  loadOrCreateToken,
  tokenMatches,
  originAllowed,
  allowedHostNames,
  type SecurityPolicy,
} from '../../server/security';

const token = 'a'.repeat(64);
const policy: SecurityPolicy = { token, host: '127.0.0.1', port: () => 3888 };
const req = (method: string, url: string, headers: Record<string, string> = {}) => ({
  method,
  url,
  headers: { host: '127.0.0.1:3888', ...headers },
});

describe('token file', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('creates a 64-hex token with mode 0600 and reuses it across restarts', () => {
    const dir = mkdtempSync(join(tmpdir(), 'relay-token-'));
    dirs.push(dir);
    const first = loadOrCreateToken(join(dir, '.agent-relay'));
    expect(first).toMatch(/^[0-9a-f]{64}$/);
    const path = join(dir, '.agent-relay', 'dashboard-token');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(loadOrCreateToken(join(dir, '.agent-relay'))).toBe(first);
  });

  it('replaces a token file that does not hold a valid token', () => {
    const dir = mkdtempSync(join(tmpdir(), 'relay-token-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'dashboard-token'), 'not-a-token');
    const token = loadOrCreateToken(dir);
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    expect(readFileSync(join(dir, 'dashboard-token'), 'utf8').trim()).toBe(token);
  });
});

describe('tokenMatches', () => {
  it('compares whatever it is given without throwing: other byte lengths, other lengths, empty, missing', () => {
    expect(tokenMatches(token, token)).toBe(true);
    // 64 characters but 128 bytes: timingSafeEqual on the raw bytes used to throw here.
    expect(tokenMatches(token, 'é'.repeat(64))).toBe(false);
    expect(tokenMatches(token, '\u00e9'.repeat(128))).toBe(false);
    expect(tokenMatches(token, token.slice(1))).toBe(false);
    expect(tokenMatches(token, `${token}a`)).toBe(false);
    expect(tokenMatches(token, '')).toBe(false);
    expect(tokenMatches(token, undefined)).toBe(false);
    expect(tokenMatches(token, null)).toBe(false);
  });

  it('refuses a multi-byte token in the query, cookie and header with 401 (decided, not thrown)', () => {
    const bad = 'é'.repeat(64);
    expect(checkHttpRequest(req('GET', `/api/workers?token=${encodeURIComponent(bad)}`), policy)).toMatchObject({ status: 401 });
    expect(checkHttpRequest(req('GET', '/api/workers', { cookie: `${TOKEN_COOKIE}=${encodeURIComponent(bad)}` }), policy)).toMatchObject({ status: 401 });
    expect(checkHttpRequest(req('GET', '/api/workers', { authorization: `Bearer ${bad}` }), policy)).toMatchObject({ status: 401 });
    expect(authorizeSocketHandshake(req('GET', '/socket.io/?EIO=4'), policy, bad)).toMatchObject({ status: 401 });
  });
});

describe('checkHttpRequest', () => {
  it('refuses an API request without a token with 401 as JSON', () => {
    const d = checkHttpRequest(req('GET', '/api/workers'), policy);
    expect(d).toMatchObject({ kind: 'deny', status: 401, code: 'UNAUTHORIZED', json: true });
  });

  it('refuses a page without a token with 401 as an HTML page', () => {
    expect(checkHttpRequest(req('GET', '/'), policy)).toMatchObject({ kind: 'deny', status: 401, json: false });
  });

  it('accepts the token from a Bearer header, the cookie or the query', () => {
    expect(checkHttpRequest(req('GET', '/api/workers', { authorization: `Bearer ${token}` }), policy).kind).toBe('allow');
    expect(checkHttpRequest(req('GET', '/api/workers', { cookie: `x=1; ${TOKEN_COOKIE}=${token}` }), policy).kind).toBe('allow');
    expect(checkHttpRequest(req('GET', `/api/workers?token=${token}`), policy).kind).toBe('allow');
  });

  it('refuses a wrong token', () => {
    expect(checkHttpRequest(req('GET', '/api/workers', { authorization: `Bearer ${'b'.repeat(64)}` }), policy)).toMatchObject({ status: 401 });
  });

  it('sets the cookie and redirects to the clean URL on a first page visit with ?token=', () => {
    const d = checkHttpRequest(req('GET', `/workers?tab=2&token=${token}`), policy);
    expect(d.kind).toBe('redirect');
    if (d.kind !== 'redirect') return;
    expect(d.location).toBe('/workers?tab=2');
    expect(d.setCookie).toContain(`${TOKEN_COOKIE}=${token}`);
    expect(d.setCookie).toContain('HttpOnly');
    expect(d.setCookie).toContain('SameSite=Strict');
    expect(d.setCookie).toContain('Path=/');
  });

  it('refuses a foreign Host header with 403, even with the token (DNS rebinding)', () => {
    const d = checkHttpRequest(req('GET', '/api/workers', { host: 'evil.example:3888', authorization: `Bearer ${token}` }), policy);
    expect(d).toMatchObject({ status: 403, code: 'FORBIDDEN_HOST' });
    expect(checkHttpRequest(req('GET', '/', { host: '127.0.0.1:9999', cookie: `${TOKEN_COOKIE}=${token}` }), policy)).toMatchObject({ status: 403 });
  });

  it('accepts the loopback names localhost and [::1] with our port', () => {
    for (const host of ['localhost:3888', '[::1]:3888', '127.0.0.1:3888']) {
      expect(checkHttpRequest(req('GET', '/api/x', { host, authorization: `Bearer ${token}` }), policy).kind).toBe('allow');
    }
  });

  it('refuses a state-changing request from a foreign Origin with 403 FORBIDDEN_ORIGIN', () => {
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      const d = checkHttpRequest(req(method, '/api/workers', { origin: 'http://evil.example', cookie: `${TOKEN_COOKIE}=${token}` }), policy);
      expect(d).toMatchObject({ status: 403, code: 'FORBIDDEN_ORIGIN', json: true });
    }
  });

  it('refuses a cookie-only write without an Origin, but lets a program with a Bearer token write', () => {
    expect(checkHttpRequest(req('POST', '/api/workers', { cookie: `${TOKEN_COOKIE}=${token}` }), policy)).toMatchObject({ code: 'FORBIDDEN_ORIGIN' });
    expect(checkHttpRequest(req('POST', '/api/workers', { authorization: `Bearer ${token}` }), policy).kind).toBe('allow');
  });

  it('accepts a write from our own origin', () => {
    const d = checkHttpRequest(req('POST', '/api/workers', { origin: 'http://127.0.0.1:3888', cookie: `${TOKEN_COOKIE}=${token}` }), policy);
    expect(d.kind).toBe('allow');
  });

  it('serves Next static assets and the favicon without a token, but still checks Host', () => {
    expect(checkHttpRequest(req('GET', '/_next/static/chunks/app.js'), policy).kind).toBe('allow');
    expect(checkHttpRequest(req('GET', '/favicon.ico'), policy).kind).toBe('allow');
    expect(checkHttpRequest(req('GET', '/_next/static/x.js', { host: 'evil.example:3888' }), policy)).toMatchObject({ status: 403 });
    expect(checkHttpRequest(req('GET', '/_next/data/x.json'), policy)).toMatchObject({ status: 401 });
  });

  it('a non-loopback host still requires the token and accepts its own name', () => {
    const lan: SecurityPolicy = { token, host: '192.168.7.7', port: () => 3888 };
    expect(checkHttpRequest(req('GET', '/api/workers', { host: '192.168.7.7:3888' }), lan)).toMatchObject({ status: 401 });
    expect(checkHttpRequest(req('GET', '/api/workers', { host: '192.168.7.7:3888', authorization: `Bearer ${token}` }), lan).kind).toBe('allow');
  });
});

describe('origin and socket handshake', () => {
  const allowed = allowedHostNames('127.0.0.1');
  it('only our own http origin matches', () => {
    expect(originAllowed('http://127.0.0.1:3888', allowed, 3888)).toBe(true);
    expect(originAllowed('http://localhost:3888', allowed, 3888)).toBe(true);
    expect(originAllowed('https://127.0.0.1:3888', allowed, 3888)).toBe(false);
    expect(originAllowed('http://127.0.0.1:3889', allowed, 3888)).toBe(false);
    expect(originAllowed('null', allowed, 3888)).toBe(false);
    expect(originAllowed('http://127.0.0.1.evil.example:3888', allowed, 3888)).toBe(false);
  });

  it('refuses a handshake without a token, from a foreign origin, or to a foreign host', () => {
    expect(authorizeSocketHandshake(req('GET', '/socket.io/?EIO=4&transport=polling'), policy)).toMatchObject({ status: 401 });
    expect(
      authorizeSocketHandshake(req('GET', '/socket.io/?EIO=4', { origin: 'http://evil.example', cookie: `${TOKEN_COOKIE}=${token}` }), policy),
    ).toMatchObject({ status: 403, code: 'FORBIDDEN_ORIGIN' });
    expect(authorizeSocketHandshake(req('GET', '/socket.io/', { host: 'evil.example:3888', cookie: `${TOKEN_COOKIE}=${token}` }), policy)).toMatchObject({
      code: 'FORBIDDEN_HOST',
    });
  });

  it('accepts a handshake with the cookie, the query token or auth.token', () => {
    expect(authorizeSocketHandshake(req('GET', '/socket.io/', { origin: 'http://127.0.0.1:3888', cookie: `${TOKEN_COOKIE}=${token}` }), policy).kind).toBe('allow');
    expect(authorizeSocketHandshake(req('GET', `/socket.io/?token=${token}`), policy).kind).toBe('allow');
    expect(authorizeSocketHandshake(req('GET', '/socket.io/'), policy, token).kind).toBe('allow');
  });
});
