import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { markerPath } from '../paths';

/** The active-daemon marker (`$AGENT_RELAY_HOME/active-daemon.json`), written by `agent-relay up`. */
export const ActiveDaemonMarkerSchema = z.looseObject({
  socketPath: z.string().min(1),
  projectRoot: z.string().optional(),
  pid: z.number().int().positive(),
  startedAt: z.string(),
  version: z.string(),
  dashboardUrl: z.string().optional(),
});
export type ActiveDaemonMarker = z.infer<typeof ActiveDaemonMarkerSchema>;

/** The marker's content, or null when it is missing, unreadable or not a marker. Does not check liveness. */
export function readMarker(env: NodeJS.ProcessEnv = process.env): ActiveDaemonMarker | null {
  let text: string;
  try {
    text = readFileSync(markerPath(env), 'utf8');
  } catch {
    return null;
  }
  try {
    const parsed = ActiveDaemonMarkerSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** True when a process with this pid exists (signal 0; EPERM means it exists but is not ours). */
export function isPidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
