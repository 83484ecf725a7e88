import { handle, liveWorktrees } from '../../../server/api/handler';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

/** Every worktree the relay made, also those whose worker was removed or lost (an earlier run's). */
export function GET(): Promise<Response> {
  return handle(() => Response.json({ worktrees: liveWorktrees().list() }));
}
