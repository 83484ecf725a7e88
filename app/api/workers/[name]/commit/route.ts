import { handle, liveWorktrees, readJson, workerNameParam, type WorkerRouteContext } from '../../../../../server/api/handler';
import { CommitBodySchema } from '../../../../../server/api/schemas';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

/** Commit everything in the worker's worktree; the message defaults to the worker's task. */
export function POST(request: Request, context: WorkerRouteContext): Promise<Response> {
  return handle(async () => {
    const name = await workerNameParam(context);
    const { message } = await readJson(request, CommitBodySchema, 'commit request');
    return Response.json(await liveWorktrees().commit(name, message), { status: 201 });
  });
}
