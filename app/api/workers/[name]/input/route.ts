import { handle, liveRuntime, readJson, workerNameParam, type WorkerRouteContext } from '../../../../../server/api/handler';
import { InputBodySchema } from '../../../../../server/api/schemas';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

/** Type into the worker's terminal. The SpawnManager enforces MAX_INPUT_BYTES (413 INPUT_TOO_LARGE). */
export function POST(request: Request, context: WorkerRouteContext): Promise<Response> {
  return handle(async () => {
    const name = await workerNameParam(context);
    const { data } = await readJson(request, InputBodySchema, 'input');
    await liveRuntime().spawnManager.sendWorkerInput(name, data);
    return Response.json({ ok: true });
  });
}
