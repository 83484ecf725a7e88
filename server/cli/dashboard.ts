import { readFileSync } from 'node:fs';
import { io, type Socket } from 'socket.io-client';
import { dataDirFor, projectRootOfSocket } from '../../lib/paths';
import type { ClientToServerEvents, ServerToClientEvents } from '../../lib/realtime/events';
import { tokenPath } from '../security/token';
import { CliError, EXIT, withClient, type CliContext } from './context';
import { CLI_USER } from './commands/spawn';

/**
 * Worker output does not travel over the daemon's socket protocol: `logs` and `attach` read it
 * from the dashboard (HTTP for history, socket.io for live bytes), found through the daemon.
 */
export interface DashboardAccess {
  /** e.g. http://127.0.0.1:3888 (no path, no token). */
  origin: string;
  token: string;
}

export type RealtimeSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export async function findDashboard(ctx: CliContext): Promise<DashboardAccess> {
  const found = await ctx.discover();
  let url = found.marker?.dashboardUrl;
  let projectRoot = found.marker?.projectRoot;
  if (!url || !projectRoot) {
    const status = await withClient(ctx, CLI_USER, (client) => client.status());
    url ??= status.dashboardUrl;
    projectRoot ??= status.projectRoot ?? projectRootOfSocket(status.socketPath);
  }
  if (!url) throw new CliError('The daemon has no dashboard (it was not started with "agent-relay up"), so worker output is not reachable.', EXIT.FAILURE);
  if (!projectRoot) throw new CliError('Cannot tell which project the daemon serves, so its dashboard token cannot be found.', EXIT.FAILURE);
  const file = tokenPath(dataDirFor(projectRoot));
  let token: string;
  try {
    token = readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new CliError(`Cannot read the dashboard token at ${file} (${(err as NodeJS.ErrnoException).code}); run this as the user who ran "agent-relay up".`);
  }
  return { origin: new URL(url).origin, token };
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

/** HTTP GET on the dashboard API with the token; a JSON error body becomes a CliError with its code. */
export async function apiGet(access: DashboardAccess, path: string): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(`${access.origin}${path}`, { headers: { Authorization: `Bearer ${access.token}` } });
  } catch (err) {
    throw new CliError(`Cannot reach the dashboard at ${access.origin}: ${(err as Error).message}`);
  }
  if (res.ok) return res;
  const body = (await res.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null;
  const code = body?.error?.code ?? `HTTP_${res.status}`;
  throw new CliError(`${code}: ${body?.error?.message ?? res.statusText}`, EXIT.FAILURE, code);
}
