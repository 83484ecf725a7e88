import { handle, liveRuntime, readJson, workerNameParam, type WorkerRouteContext } from '../../../../../server/api/handler';
import { ResizeBodySchema } from '../../../../../server/api/schemas';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

export function POST(request: Request, context: WorkerRouteContext): Promise<Response> {
  return handle(async () => {
    const name = await workerNameParam(context);
    const { cols, rows } = await readJson(request, ResizeBodySchema, 'resize request');
    await liveRuntime().spawnManager.resize(name, cols, rows);
    return Response.json({ ok: true });
  });
}
