import { handle, liveWorktrees, readJson, workerNameParam, type WorkerRouteContext } from '../../../../../server/api/handler';
import { MergeBodySchema } from '../../../../../server/api/schemas';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

/** Merge the worker's branch into its base branch (fast-forward or merge commit); a conflict changes nothing. */
export function POST(request: Request, context: WorkerRouteContext): Promise<Response> {
  return handle(async () => {
    const name = await workerNameParam(context);
    const body = await readJson(request, MergeBodySchema, 'merge request');
    return Response.json(await liveWorktrees().merge(name, body));
  });
}
