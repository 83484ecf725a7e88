import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { allowedHostNames } from './hosts';
import { answerDecision, authorizeSocketHandshake, checkHttpRequest, type Decision, type Denial, type SecurityPolicy } from './http-guard';

export { loadOrCreateToken, tokenMatches } from './token';
export { isLoopbackHost, hostForUrl, allowedHostNames, hostHeaderAllowed, originAllowed, parseHostHeader } from './hosts';
export {
  TOKEN_COOKIE,
  answerDecision,
  authorizeSocketHandshake,
  checkHttpRequest,
  isApiPath,
  isPublicAsset,
  parseCookies,
  tokenCookie,
  type Decision,
  type Denial,
  type SecurityPolicy,
} from './http-guard';

export type HandshakeDecision = { kind: 'allow' } | Denial;

export interface Security {
  /** Decide a plain HTTP request. */
  checkHttpRequest(req: IncomingMessage): Decision;
  /** Check and answer a refused request; true when answered (do not pass it to Next). */
  guard(req: IncomingMessage, res: ServerResponse): boolean;
  /** For socket.io: `allowRequest` with `(req)`, or a middleware with `(socket.request, socket.handshake.auth?.token)`. */
  authorizeSocketHandshake(req: IncomingMessage, authToken?: string): HandshakeDecision;
  /** Refuses an HTTP upgrade (other than socket.io's) that fails the checks. True when refused. */
  guardUpgrade(req: IncomingMessage, socket: Duplex): boolean;
}

/** The server's checks bound to its token, host and (actual) port. */
export function createSecurity(policy: SecurityPolicy): Security {
  // Interface addresses are read once: a wildcard bind is rare and this runs on every request.
  const allowed = allowedHostNames(policy.host);
  return {
    checkHttpRequest: (req) => checkHttpRequest(req, policy, allowed),
    guard: (req, res) => answerDecision(res, checkHttpRequest(req, policy, allowed)),
    authorizeSocketHandshake: (req, authToken) => authorizeSocketHandshake(req, policy, authToken, allowed),
    guardUpgrade(req, socket) {
      const decision = authorizeSocketHandshake(req, policy, undefined, allowed);
      if (decision.kind === 'allow') return false;
      const status = decision.status === 401 ? '401 Unauthorized' : '403 Forbidden';
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return true;
    },
  };
}
