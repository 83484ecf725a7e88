import { handle, liveRuntime, readQuery, workerNameParam, type WorkerRouteContext } from '../../../../../server/api/handler';
import { OUTPUT_MAX_BYTES, OutputQuerySchema } from '../../../../../server/api/schemas';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

/**
 * Raw output bytes from `since` (default 0), never altered. X-Output-Offset is the offset of the
 * first byte returned (later than `since` when older bytes are gone); X-Output-End is the total
 * produced so far: ask again with since=X-Output-Offset + body length until it reaches the end.
 */
export function GET(request: Request, context: WorkerRouteContext): Promise<Response> {
  return handle(async () => {
    const name = await workerNameParam(context);
    const { since, max } = readQuery(request.url, OutputQuerySchema);
    const slice = await liveRuntime().spawnManager.readOutput(name, since ?? 0, max ?? OUTPUT_MAX_BYTES);
    return new Response(new Uint8Array(slice.data), {
      status: 200,
      headers: {
        'Content-Type': 'application/octet-stream',
        'X-Output-Offset': String(slice.start),
        'X-Output-End': String(slice.end),
        'Cache-Control': 'no-store',
      },
    });
  });
}
