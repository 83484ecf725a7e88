import { handle, liveWorktrees, readQuery, workerNameParam, type WorkerRouteContext } from '../../../../../server/api/handler';
import { ChangesQuerySchema } from '../../../../../server/api/schemas';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

/** The worker's work against its base, committed and uncommitted (docs/worktrees.md); `?file=` for one file. */
export function GET(request: Request, context: WorkerRouteContext): Promise<Response> {
  return handle(async () => {
    const name = await workerNameParam(context);
    const { file } = readQuery(request.url, ChangesQuerySchema);
    return Response.json(await liveWorktrees().changes(name, file), { headers: { 'Cache-Control': 'no-store' } });
  });
}
