import { z } from 'zod';
import { TerminalSizeSchema, WorkerInfoSchema, type WorkerInfo } from '../protocol/workers';
import type { StoredMessageView } from '../protocol/queries';
import type { WorkerChangesEvent, WorktreeListEntry } from '../protocol/worktrees';

/**
 * socket.io events between the dashboard and server/realtime. Payloads from the browser are
 * validated with these schemas; the server's payloads are typed by them.
 * Output travels as binary: `worker:output` carries (name, start, Uint8Array).
 *
 * Semantics (docs/decisions/0002-streaming-and-flow-control.md):
 * - `worker:attach` replies first; with mode 'bytes' the bytes from `since` follow as worker:output,
 *   with mode 'snapshot' a worker:snapshot follows (reset, write, continue from its offset). Frames
 *   are contiguous per viewer: each `start` equals the previous start + length.
 * - The viewer acks rendered offsets (`worker:ack`, from xterm's write callback) at least every
 *   FlowControl.ACK_BYTES (lib/realtime/flow-control.ts) and whenever its write queue drains. A
 *   viewer that stops acking stops receiving; when it acks again it catches up with bytes or a new
 *   worker:snapshot.
 * - worker:exit is broadcast once the worker's output is drained; a viewer that is behind on flow
 *   control may still receive worker:output after it.
 * - Input and resize are accepted only from the worker's driver (NOT_DRIVER otherwise); the first
 *   viewer to attach drives, `worker:drive` takes over and every viewer gets worker:driver.
 */

export const AttachSchema = z.object({
  name: z.string(),
  /** Offset of the next byte the viewer needs (what it already rendered). Omit for a fresh snapshot. */
  since: z.number().int().min(0).optional(),
});
export const DetachSchema = z.object({ name: z.string() });
/** Viewer acknowledges it has rendered everything before `offset` (sent from xterm's write callback). */
export const AckSchema = z.object({ name: z.string(), offset: z.number().int().min(0) });
export const InputSchema = z.object({ name: z.string(), data: z.string() });
export const ResizeSchema = z.object({ name: z.string(), ...TerminalSizeSchema });
export const DriveSchema = z.object({ name: z.string() });

export interface SnapshotEvent {
  name: string;
  /** Reset the terminal, write `data`, then continue with output from `offset`. */
  data: string;
  offset: number;
  cols: number;
  rows: number;
}

export interface DriverEvent {
  name: string;
  /** socket id of the driving viewer, or null when nobody drives. */
  driver: string | null;
}

export interface AttachResult {
  ok: boolean;
  error?: { code: string; message: string };
  /** 'bytes': the missing bytes follow as worker:output; 'snapshot': a worker:snapshot follows. */
  mode?: 'bytes' | 'snapshot';
  driver?: string | null;
  worker?: WorkerInfo;
}

export interface ServerToClientEvents {
  'worker:output': (name: string, start: number, data: Uint8Array) => void;
  'worker:snapshot': (event: SnapshotEvent) => void;
  'worker:driver': (event: DriverEvent) => void;
  'worker:status': (info: WorkerInfo) => void;
  'worker:exit': (info: WorkerInfo) => void;
  /** A worker's worktree changed (debounced file watcher): its summary; GET /changes has the diff. */
  'worker:changes': (event: WorkerChangesEvent) => void;
  /** A worktree was made or discarded: the list as GET /api/worktrees answers it. */
  worktrees: (worktrees: WorktreeListEntry[]) => void;
  workers: (workers: WorkerInfo[]) => void;
  message: (message: StoredMessageView) => void;
  presence: (event: { name: string; online: boolean; entityType: 'agent' | 'user'; at: number }) => void;
}

type Reply = (result: { ok: boolean; error?: { code: string; message: string } }) => void;
export interface ClientToServerEvents {
  'worker:attach': (payload: z.infer<typeof AttachSchema>, reply: (result: AttachResult) => void) => void;
  'worker:detach': (payload: z.infer<typeof DetachSchema>) => void;
  'worker:ack': (payload: z.infer<typeof AckSchema>) => void;
  'worker:input': (payload: z.infer<typeof InputSchema>, reply?: Reply) => void;
  'worker:resize': (payload: z.infer<typeof ResizeSchema>, reply?: Reply) => void;
  'worker:drive': (payload: z.infer<typeof DriveSchema>, reply?: Reply) => void;
}

export const WorkerListSchema = z.array(WorkerInfoSchema);
