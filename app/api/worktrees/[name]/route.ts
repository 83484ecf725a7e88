import { handle, liveWorktrees, workerNameParam, type WorkerRouteContext } from '../../../../server/api/handler';
import { ApiError } from '../../../../server/api/errors';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

/**
 * Discard a worktree whose worker is gone (an orphan GET /api/worktrees lists): the worktree and its
 * branch are deleted. A listed worker's worktree goes with DELETE /api/workers/:name?remove=1&discard=1.
 */
export function DELETE(_request: Request, context: WorkerRouteContext): Promise<Response> {
  return handle(async () => {
    const name = await workerNameParam(context);
    const worktrees = liveWorktrees();
    const entry = worktrees.list().find((w) => w.name === name);
    if (entry?.live) throw new ApiError(409, 'WORKER_RUNNING', `"${name}" is still running in this worktree; release it first (DELETE /api/workers/${name}?remove=1&discard=1 does both).`);
    const { removed } = await worktrees.discard(name);
    return Response.json({ name, removed });
  });
}
