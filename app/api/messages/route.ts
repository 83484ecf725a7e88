import { DASHBOARD_USER } from '../../../lib/protocol';
import { handle, liveRuntime, readJson, readQuery } from '../../../server/api/handler';
import { MessagesListQuerySchema, SendMessageBodySchema } from '../../../server/api/schemas';
import { messagesView } from '../../../server/api/views';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

export function GET(request: Request): Promise<Response> {
  return handle(() => {
    const query = readQuery(request.url, MessagesListQuerySchema);
    return Response.json({ messages: messagesView(liveRuntime(), query) });
  });
}

/**
 * Send as the dashboard user; an unknown recipient is 404 from the router, never a silent drop.
 * `persisted: false`: delivered (or held for the recipient) but not in the database — the disk is
 * full; it is written when space returns, unless the relay stops first.
 */
export function POST(request: Request): Promise<Response> {
  return handle(async () => {
    const { to, body, thread, data } = await readJson(request, SendMessageBodySchema, 'message');
    const accepted = liveRuntime().router.sendAs(DASHBOARD_USER, to, body, { thread, data, confirmStored: true });
    return Response.json({ ...accepted, persisted: accepted.persisted ?? true }, { status: 201 });
  });
}
