import { handle, liveRuntime, readJson, workerNameParam, type WorkerRouteContext } from '../../../../../server/api/handler';
import { InjectBodySchema } from '../../../../../server/api/schemas';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

/** hold / flush / auto for the worker's deliveries (409 NOT_RUNNING once it has exited). */
export function POST(request: Request, context: WorkerRouteContext): Promise<Response> {
  return handle(async () => {
    const name = await workerNameParam(context);
    const { mode } = await readJson(request, InjectBodySchema, 'inject request');
    const { injection, flushed } = await liveRuntime().spawnManager.setInjectMode(name, mode);
    return Response.json({ name, injection, flushed });
  });
}
