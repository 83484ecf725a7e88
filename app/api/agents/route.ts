import { handle, liveRuntime } from '../../../server/api/handler';
import { agentsView } from '../../../server/api/views';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

export function GET(): Promise<Response> {
  return handle(() => Response.json({ agents: agentsView(liveRuntime()) }));
}
