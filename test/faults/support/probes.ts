import { request, type Agent, type IncomingHttpHeaders } from 'node:http';
import { readdirSync } from 'node:fs';
import { io as ioClient } from 'socket.io-client';

/**
 * What the fault tests share: raw HTTP with a hard deadline (a hang is a failure, not a slow test),
 * the server's open file descriptors, and a socket.io handshake outcome. The server itself is the real
 * `agent-relay up` process (test/server/helpers/relay-process.ts).
 */

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** Wall time from sending to the last body byte. */
  ms: number;
}

export interface HttpOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  agent?: Agent;
  /** Give up (and fail) after this long: an unanswered request must not look like a slow one. */
  timeoutMs?: number;
  /** Send the path as is (no URL normalisation), e.g. `/api/workers/%ff%fe`. */
  rawPath?: string;
}

export function http(url: string, options: HttpOptions = {}): Promise<Reply> {
  const target = new URL(url);
  const timeoutMs = options.timeoutMs ?? 10_000;
  return new Promise((resolve, reject) => {
    const began = performance.now();
    const req = request(
      {
        host: target.hostname,
        port: target.port,
        path: options.rawPath ?? `${target.pathname}${target.search}`,
        method: options.method ?? 'GET',
        headers: options.headers,
        agent: options.agent,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString(), ms: performance.now() - began });
        });
        res.on('error', reject);
      },
    );
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`${options.method ?? 'GET'} ${options.rawPath ?? target.pathname} was not answered within ${timeoutMs} ms`));
    }, timeoutMs);
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.end(options.body);
  });
}

/** Open file descriptors of a process (Linux). */
export function fdCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** Polls until `fn` is true or `timeoutMs` passed; returns the last value of `fn`. */
export async function eventually(fn: () => boolean, timeoutMs = 5000, everyMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (fn()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Polls an async check until it gives a value other than undefined/false; rejects after `timeoutMs` with `what`. */
export async function until<T>(check: () => Promise<T | undefined | false>, what: string, timeoutMs = 10_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A socket.io handshake's outcome: 'connected', or the error's code (e.g. UNAUTHORIZED). Rejects when neither came. */
export function socketIoOutcome(origin: string, opts: { token?: string; headers?: Record<string, string>; timeoutMs?: number }): Promise<{ outcome: string; ms: number }> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  return new Promise((resolve, reject) => {
    const began = performance.now();
    const socket = ioClient(origin, {
      path: '/socket.io',
      transports: ['websocket'],
      reconnection: false,
      timeout: timeoutMs,
      forceNew: true,
      ...(opts.token !== undefined ? { auth: { token: opts.token } } : {}),
      extraHeaders: opts.headers,
    });
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error(`the socket.io handshake was neither accepted nor refused within ${timeoutMs} ms`));
    }, timeoutMs);
    const done = (outcome: string) => {
      clearTimeout(timer);
      socket.close();
      resolve({ outcome, ms: performance.now() - began });
    };
    socket.on('connect', () => done('connected'));
    socket.on('connect_error', (err: Error & { data?: { code?: string } }) => done(err.data?.code ?? err.message));
  });
}

/** Median, 99th percentile and maximum of a list of times. */
export function summarize(ms: number[]): { p50: number; p99: number; max: number } {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return { p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1] ?? NaN };
}

/** Lines of a log that look like a stack trace or an uncaught error. */
export function stackTraceLines(log: string): string[] {
  return log.split('\n').filter((line) => /^\s+at .+[:(]/.test(line) || /uncaught|unhandled|RangeError|TypeError/i.test(line));
}
