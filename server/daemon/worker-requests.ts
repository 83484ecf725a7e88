import {
  ReleaseRequestSchema, SendInputRequestSchema, SpawnRequestSchema, WorkerError, describeNameProblem,
  type WorkerErrorCode,
} from '../../lib/protocol';
import type { DaemonContext } from './context';
import { describeIssues } from './queries';

export const WORKER_REQUEST_TYPES = new Set(['SPAWN', 'RELEASE', 'SEND_INPUT', 'LIST_WORKERS']);

const NOT_AVAILABLE = 'workers are not available in this daemon';

interface Failure {
  success: false;
  error: string;
  code: WorkerErrorCode;
}

function failure(err: unknown): Failure {
  if (err instanceof WorkerError) return { success: false, error: err.message, code: err.code };
  const reason = err instanceof Error ? err.message : String(err);
  return { success: false, error: `The daemon failed to handle the request (${reason}); see the daemon log.`, code: 'INTERNAL' };
}

function nameOf(payload: unknown): string {
  const name = (payload as { name?: unknown } | null)?.name;
  return typeof name === 'string' ? name : '';
}

/**
 * SPAWN / RELEASE / SEND_INPUT / LIST_WORKERS → the SpawnManager. Always answers a *_RESULT
 * (the published clients wait for it by replyTo): failures are `success: false` with an error
 * sentence and a code, including invalid payloads. A socket client is not trusted: its own name
 * is the requester, and spawnerName defaults to it.
 */
export async function answerWorkerRequest(
  ctx: DaemonContext,
  type: string,
  requestId: string,
  payload: unknown,
  requester: string,
): Promise<{ type: string; payload: Record<string, unknown> }> {
  const replyTo = requestId;
  const manager = ctx.spawnManager;
  switch (type) {
    case 'SPAWN': {
      const base = { replyTo, name: nameOf(payload) };
      if (!manager) return { type: 'SPAWN_RESULT', payload: { ...base, success: false, error: NOT_AVAILABLE, code: 'INTERNAL' } };
      const parsed = SpawnRequestSchema.safeParse(payload ?? {});
      if (!parsed.success) {
        const nameProblem = describeNameProblem(base.name);
        const code: WorkerErrorCode = nameProblem ? 'INVALID_NAME' : 'BAD_REQUEST';
        return { type: 'SPAWN_RESULT', payload: { ...base, success: false, error: nameProblem ?? describeIssues(parsed.error, 'SPAWN'), code } };
      }
      const request = { ...parsed.data, spawnerName: parsed.data.spawnerName ?? requester };
      try {
        const info = await manager.spawn(request, { requester, trusted: false });
        const result: Record<string, unknown> = { ...base, success: true, name: info.name };
        if (info.pid !== undefined) result.pid = info.pid;
        return { type: 'SPAWN_RESULT', payload: result };
      } catch (err) {
        return { type: 'SPAWN_RESULT', payload: { ...base, ...failure(err) } };
      }
    }
    case 'RELEASE': {
      const base = { replyTo, name: nameOf(payload) };
      if (!manager) return { type: 'RELEASE_RESULT', payload: { ...base, success: false, error: NOT_AVAILABLE, code: 'INTERNAL' } };
      const parsed = ReleaseRequestSchema.safeParse(payload ?? {});
      if (!parsed.success) return { type: 'RELEASE_RESULT', payload: { ...base, success: false, error: describeIssues(parsed.error, 'RELEASE'), code: 'BAD_REQUEST' } };
      try {
        const outcome = await manager.release(parsed.data.name, { force: parsed.data.force, reason: parsed.data.reason });
        return { type: 'RELEASE_RESULT', payload: { ...base, success: true, exitCode: outcome.exitCode, signal: outcome.signal, endedBy: outcome.endedBy } };
      } catch (err) {
        return { type: 'RELEASE_RESULT', payload: { ...base, ...failure(err) } };
      }
    }
    case 'SEND_INPUT': {
      const base = { replyTo, name: nameOf(payload) };
      if (!manager) return { type: 'SEND_INPUT_RESULT', payload: { ...base, success: false, error: NOT_AVAILABLE, code: 'INTERNAL' } };
      const parsed = SendInputRequestSchema.safeParse(payload ?? {});
      if (!parsed.success) return { type: 'SEND_INPUT_RESULT', payload: { ...base, success: false, error: describeIssues(parsed.error, 'SEND_INPUT'), code: 'BAD_REQUEST' } };
      try {
        manager.sendWorkerInput(parsed.data.name, parsed.data.data);
        return { type: 'SEND_INPUT_RESULT', payload: { ...base, success: true } };
      } catch (err) {
        return { type: 'SEND_INPUT_RESULT', payload: { ...base, ...failure(err) } };
      }
    }
    default: {
      if (!manager) return { type: 'LIST_WORKERS_RESULT', payload: { replyTo, workers: [], error: NOT_AVAILABLE } };
      try {
        return { type: 'LIST_WORKERS_RESULT', payload: { replyTo, workers: manager.listWorkers() } };
      } catch (err) {
        return { type: 'LIST_WORKERS_RESULT', payload: { replyTo, workers: [], error: failure(err).error } };
      }
    }
  }
}
