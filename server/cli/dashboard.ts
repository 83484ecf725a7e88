import { io, type Socket } from 'socket.io-client';
import { DashboardApiError, DashboardUnavailableError, dashboardAccess, dashboardRequest, type DashboardAccess } from '../../lib/discovery';
import { projectRootOfSocket } from '../../lib/paths';
import { CLI_SENDER } from '../../lib/protocol';
import type { ClientToServerEvents, ServerToClientEvents } from '../../lib/realtime/events';
import { CliError, EXIT, withClient, type CliContext } from './context';

/**
 * Worker output does not travel over the daemon's socket protocol: `logs` and `attach` read it
 * from the dashboard (HTTP for history, socket.io for live bytes), found through the daemon; the
 * worktree commands call its HTTP API. Finding and calling it is lib/discovery/dashboard.ts; this
 * file turns its failures into the CLI's errors.
 */

export type { DashboardAccess };
export type RealtimeSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** The dashboard of the daemon this CLI talks to: from the marker, else the daemon's STATUS. */
export async function findDashboard(ctx: CliContext): Promise<DashboardAccess> {
  const found = await ctx.discover();
  let url = found.marker?.dashboardUrl;
  let projectRoot = found.marker?.projectRoot;
  if (!url || !projectRoot) {
    const status = await withClient(ctx, CLI_SENDER, (client) => client.status());
    url ??= status.dashboardUrl;
    projectRoot ??= status.projectRoot ?? projectRootOfSocket(status.socketPath);
  }
  try {
    return dashboardAccess({ dashboardUrl: url, projectRoot });
  } catch (err) {
    if (err instanceof DashboardUnavailableError) throw new CliError(err.message, EXIT.FAILURE, err.code);
    throw err;
  }
}

/** A socket.io connection to the dashboard, authenticated like the browser (token + Origin). */
export function connectRealtime(access: DashboardAccess): Promise<RealtimeSocket> {
  const socket: RealtimeSocket = io(access.origin, {
    path: '/socket.io',
    transports: ['websocket'],
    auth: { token: access.token },
    extraHeaders: { Origin: access.origin },
    reconnection: false,
  });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (err) => {
      socket.close();
      reject(new CliError(`Cannot connect to the dashboard at ${access.origin}: ${err.message}`));
    });
  });
}

/**
 * Any method on the dashboard API with the token. An error answer becomes a CliError `CODE: sentence`
 * with its `files` listed (and `gap` kept, for logs to read on after an OUTPUT_GAP).
 */
export async function apiRequest(access: DashboardAccess, method: string, path: string, body?: unknown): Promise<Response> {
  try {
    return await dashboardRequest(access, method, path, body);
  } catch (err) {
    if (!(err instanceof DashboardApiError)) throw new CliError(`Cannot reach the dashboard at ${access.origin}: ${(err as Error).message}`);
    const files = err.files?.length ? `\n${err.files.map((f) => `  ${f}`).join('\n')}` : '';
    const failure = new CliError(`${err.code}: ${err.message}${files}`, EXIT.FAILURE, err.code);
    if (err.gap) Object.assign(failure, { gap: err.gap });
    throw failure;
  }
}
