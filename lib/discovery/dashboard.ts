import { readFileSync } from 'node:fs';
import { dashboardTokenPath, dataDirFor } from '../paths';

/**
 * The one way a program outside the relay process reaches the dashboard's HTTP API: the CLI (logs,
 * attach, diff/commit/merge/discard), the wrapper's fallback (spawn/release when the daemon cannot be
 * reached) and MCP's relay_changes. Where it is, each caller learns from what it already holds (the
 * active-daemon marker, the daemon's STATUS, or the default port); its token is in the project's token
 * file, readable by whoever ran `agent-relay up`.
 */

export interface DashboardAccess {
  /** e.g. http://127.0.0.1:3888 (no path, no token). */
  origin: string;
  token: string;
}

/** What is missing to ask the dashboard at all: not an answer from it. */
export type DashboardUnavailableCode = 'NO_DASHBOARD' | 'NO_PROJECT' | 'NO_TOKEN';

export class DashboardUnavailableError extends Error {
  constructor(
    readonly code: DashboardUnavailableCode,
    message: string,
    /** NO_TOKEN: the token file that could not be read. */
    readonly file?: string,
  ) {
    super(message);
    this.name = 'DashboardUnavailableError';
  }
}

/** An error answer from the dashboard (`{error: {code, message, files?, gap?}}`): a refusal, final. */
export class DashboardApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly files?: string[],
    /** OUTPUT_GAP: the bytes that are gone; read on from `to`. */
    readonly gap?: { from: number; to: number },
  ) {
    super(message);
    this.name = 'DashboardApiError';
  }
}

/** The project's dashboard token. Throws DashboardUnavailableError NO_TOKEN naming the file. */
export function readDashboardToken(projectRoot: string): string {
  const file = dashboardTokenPath(dataDirFor(projectRoot));
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (err) {
    const errno = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new DashboardUnavailableError('NO_TOKEN', `Cannot read the dashboard token at ${file} (${errno}); run this as the user who ran "agent-relay up".`, file);
  }
}

/**
 * The dashboard's origin and token, from its URL and the project it serves. `socketPath` only names
 * the daemon in the sentence when there is no URL.
 */
export function dashboardAccess(where: { dashboardUrl?: string; projectRoot?: string; socketPath?: string }): DashboardAccess {
  const daemon = where.socketPath ? `The daemon at ${where.socketPath}` : 'The daemon';
  if (!where.dashboardUrl) {
    throw new DashboardUnavailableError(
      'NO_DASHBOARD',
      `${daemon} has no dashboard (it was not started with "agent-relay up"), so worker output and worktree changes cannot be reached; start it with agent-relay up.`,
    );
  }
  if (!where.projectRoot) {
    throw new DashboardUnavailableError('NO_PROJECT', 'Cannot tell which project the daemon serves, so its dashboard token cannot be found.');
  }
  return { origin: new URL(where.dashboardUrl).origin, token: readDashboardToken(where.projectRoot) };
}

/**
 * One call to the dashboard's HTTP API. The token goes in a header and no Origin is sent: that is
 * how a program, not a browser, is let through for a state-changing request (server/security).
 * Resolves with the response when it is a success. An error answer throws DashboardApiError with the
 * body's code, sentence, files and gap; an unreachable dashboard rejects with fetch's own error (its
 * errno in `cause`, which the wrapper's fallback takes for an outage).
 */
export async function dashboardRequest(access: DashboardAccess, method: string, path: string, body?: unknown): Promise<Response> {
  const res = await fetch(`${access.origin}${path}`, {
    method,
    headers: { authorization: `Bearer ${access.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.ok) return res;
  type ErrorBody = { error?: { code?: unknown; message?: unknown; files?: unknown; gap?: { from?: unknown; to?: unknown } } };
  const error = ((await res.json().catch(() => null)) as ErrorBody | null)?.error;
  const code = typeof error?.code === 'string' ? error.code : `HTTP_${res.status}`;
  const message = typeof error?.message === 'string' ? error.message : `The dashboard answered HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}.`;
  const files = Array.isArray(error?.files) ? error.files.map(String) : undefined;
  const gap = typeof error?.gap?.from === 'number' && typeof error.gap.to === 'number' ? { from: error.gap.from, to: error.gap.to } : undefined;
  throw new DashboardApiError(res.status, code, message, files, gap);
}
