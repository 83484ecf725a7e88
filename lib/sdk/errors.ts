/**
 * Every failure the SDK reports: a machine `code` (a protocol ERROR code, a worker result code, or
 * one of the client's own below) and a sentence saying what went wrong and what to do.
 */
export type ClientErrorCode =
  | 'NO_DAEMON' // discovery found no socket
  | 'CONNECT_FAILED' // the socket refused or vanished
  | 'NOT_CONNECTED' // a call made before connect() or after disconnect()
  | 'DISCONNECTED' // the connection dropped while a request was waiting
  | 'REQUEST_TIMEOUT' // no answer in time
  | 'HANDSHAKE_FAILED';

export class RelayError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** The id of the request this answers, when the daemon said. */
    readonly replyTo?: string,
  ) {
    super(message);
    this.name = 'RelayError';
  }
}

export function noDaemonError(): RelayError {
  return new RelayError('NO_DAEMON', 'No agent-relay daemon is running (no socket found). Start it with: agent-relay up');
}

/**
 * Error codes that mean "could not reach it": the socket is missing, refused, reset or timed out
 * (Node errno codes, fetch's (undici) codes, and the SDK's own codes for the same situations).
 */
const UNREACHABLE_CODES = new Set([
  'ENOENT', 'ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH',
  'EADDRNOTAVAIL', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET',
  'NO_DAEMON', 'CONNECT_FAILED', 'NOT_CONNECTED', 'DISCONNECTED', 'REQUEST_TIMEOUT', 'HANDSHAKE_FAILED',
]);

/** The error's string `code`, if it has one. */
export function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * True when the daemon or the dashboard could not be reached (an outage: try later or elsewhere);
 * false for an answer it gave (a refusal is final). `fetch` hides the errno in `cause`.
 */
export function isUnreachableError(err: unknown): boolean {
  const code = errorCode(err);
  if (code && UNREACHABLE_CODES.has(code)) return true;
  const cause = (err as { cause?: unknown } | null)?.cause;
  return cause !== undefined && cause !== err && isUnreachableError(cause);
}
