import { handle, liveRuntime } from '../../../server/api/handler';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

/** The STATUS figures, the same answer as the socket's STATUS query. */
export function GET(): Promise<Response> {
  return handle(() => Response.json(liveRuntime().status()));
}
