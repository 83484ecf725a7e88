import { DASHBOARD_USER } from '../../../lib/protocol';
import { handle, liveRuntime, readJson, readQuery } from '../../../lib/api/handler';
import { MessagesListQuerySchema, SendMessageBodySchema } from '../../../lib/api/schemas';
import { messagesView } from '../../../lib/api/views';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

export function GET(request: Request): Promise<Response> {
  return handle(() => {
    const query = readQuery(request.url, MessagesListQuerySchema);
    return Response.json({ messages: messagesView(liveRuntime(), query) });
  });
}

/** Send as the dashboard user; an unknown recipient is 404 from the router, never a silent drop. */
export function POST(request: Request): Promise<Response> {
  return handle(async () => {
    const { to, body, thread, data } = await readJson(request, SendMessageBodySchema, 'message');
    const accepted = liveRuntime().router.sendAs(DASHBOARD_USER, to, body, { thread, data });
    return Response.json(accepted, { status: 201 });
  });
}
