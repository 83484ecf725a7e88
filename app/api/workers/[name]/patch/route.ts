import { handle, liveWorktrees, workerNameParam, type WorkerRouteContext } from '../../../../../server/api/handler';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

/** The worker's whole change as a patch (`git apply` takes it; binary files included). */
export function GET(_request: Request, context: WorkerRouteContext): Promise<Response> {
  return handle(async () => {
    const name = await workerNameParam(context);
    const patch = await liveWorktrees().patch(name);
    return new Response(patch, {
      headers: {
        'Content-Type': 'text/x-diff; charset=utf-8',
        'Content-Disposition': `attachment; filename="${name}.patch"`,
        'Cache-Control': 'no-store',
      },
    });
  });
}
