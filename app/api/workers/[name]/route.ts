import { ApiError } from '../../../../lib/api/errors';
import { handle, liveRuntime, readQuery, workerNameParam, type WorkerRouteContext } from '../../../../lib/api/handler';
import { ReleaseQuerySchema } from '../../../../lib/api/schemas';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

export function GET(_request: Request, context: WorkerRouteContext): Promise<Response> {
  return handle(async () => {
    const name = await workerNameParam(context);
    const info = liveRuntime().spawnManager.getWorker(name);
    if (!info) throw new ApiError(404, 'NOT_FOUND', `No worker named "${name}"; GET /api/workers lists them.`);
    return Response.json(info);
  });
}

/**
 * Release: graceful (polite exit, SIGTERM, SIGKILL after the grace period), or straight SIGKILL
 * with ?force=1. Releasing an exited worker answers `already-exited`; ?remove=1 then forgets it.
 */
export function DELETE(request: Request, context: WorkerRouteContext): Promise<Response> {
  return handle(async () => {
    const name = await workerNameParam(context);
    const { force, remove, reason } = readQuery(request.url, ReleaseQuerySchema);
    const { spawnManager } = liveRuntime();
    const outcome = await spawnManager.release(name, { force, reason: reason ?? 'released from the dashboard' });
    if (remove) spawnManager.remove(name);
    return Response.json(outcome);
  });
}
