import { handle, liveRuntime } from '../../../lib/api/handler';
import { agentsView } from '../../../lib/api/views';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

export function GET(): Promise<Response> {
  return handle(() => Response.json({ agents: agentsView(liveRuntime()) }));
}
