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
