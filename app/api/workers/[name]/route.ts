import { ApiError } from '../../../../server/api/errors';
import { handle, liveRuntime, readQuery, workerNameParam, type WorkerRouteContext } from '../../../../server/api/handler';
import { ReleaseQuerySchema } from '../../../../server/api/schemas';

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
 * A worker in a worktree keeps it on release; on remove its worktree goes only when its work is
 * merged, else 409 UNMERGED_WORK naming the files, unless &discard=1 (delete) or &keep=1 (keep it).
 */
export function DELETE(request: Request, context: WorkerRouteContext): Promise<Response> {
  return handle(async () => {
    const name = await workerNameParam(context);
    const { force, remove, discard, keep, reason } = readQuery(request.url, ReleaseQuerySchema);
    const { spawnManager, worktrees } = liveRuntime();
    const outcome = await spawnManager.release(name, { force, reason: reason ?? 'released from the dashboard' });
    if (remove) {
      await worktrees?.beforeRemove(name, { discard, keep });
      await spawnManager.remove(name);
    }
    return Response.json(outcome);
  });
}
