import { DASHBOARD_USER } from '../../../../lib/protocol';
import { handle, liveRuntime, readJson } from '../../../../server/api/handler';
import { SpawnBodySchema } from '../../../../server/api/schemas';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

/** What POST /api/workers would run for this body (the spawn dialog's preview); nothing is started. */
export function POST(request: Request): Promise<Response> {
  return handle(async () => {
    const body = await readJson(request, SpawnBodySchema, 'spawn request');
    return Response.json(await liveRuntime().spawnManager.resolve(body, { requester: DASHBOARD_USER, trusted: true }));
  });
}
