import { DASHBOARD_USER } from '../../../lib/protocol';
import { handle, liveRuntime, readJson } from '../../../server/api/handler';
import { SpawnBodySchema } from '../../../server/api/schemas';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

export function GET(): Promise<Response> {
  return handle(() => Response.json({ workers: liveRuntime().spawnManager.listWorkers() }));
}

/** Spawn as the dashboard user: a trusted caller, so an explicit spawnerName is kept. */
export function POST(request: Request): Promise<Response> {
  return handle(async () => {
    const body = await readJson(request, SpawnBodySchema, 'spawn request');
    const info = await liveRuntime().spawnManager.spawn(body, { requester: DASHBOARD_USER, trusted: true });
    return Response.json(info, { status: 201 });
  });
}
