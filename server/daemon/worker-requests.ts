import type { z } from 'zod';
import {
  ReleaseRequestSchema, SendInputRequestSchema, SetInjectModeRequestSchema, SpawnRequestSchema, describeNameProblem, isWorkerErrorCode,
  toErrorReply, type WorkerErrorCode,
} from '../../lib/protocol';
import type { SpawnManagerApi } from '../spawn/types';
import type { DaemonContext } from './context';
import { describeIssues } from './queries';

const NOT_AVAILABLE = 'workers are not available in this daemon';

interface Failure {
  success: false;
  error: string;
  code: WorkerErrorCode;
}

/** The shared reply (lib/protocol/errors.ts); a result carries worker codes only, so anything else is INTERNAL. */
function failure(err: unknown): Failure {
  const { code, message } = toErrorReply(err);
  return { success: false, error: message, code: isWorkerErrorCode(code) ? code : 'INTERNAL' };
}

function nameOf(payload: unknown): string {
  const name = (payload as { name?: unknown } | null)?.name;
  return typeof name === 'string' ? name : '';
}

/**
 * One request about a named worker: its payload schema, and what it asks of the SpawnManager.
 * `run` resolves with the result's fields on success; a throw becomes `success: false`.
 */
interface WorkerRequest<S extends z.ZodType = z.ZodType> {
  schema: S;
  run(manager: SpawnManagerApi, request: z.infer<S>, requester: string): Promise<Record<string, unknown>> | Record<string, unknown>;
  /** The code and sentence for an invalid payload, when not BAD_REQUEST with the schema's issues. */
  invalid?(payload: unknown): { code: WorkerErrorCode; error: string } | undefined;
}

const request = <S extends z.ZodType>(r: WorkerRequest<S>): WorkerRequest => r as unknown as WorkerRequest;

const REQUESTS = new Map<string, WorkerRequest>(Object.entries({
  SPAWN: request({
    schema: SpawnRequestSchema,
    // A bad name keeps the SpawnManager's code, whichever layer noticed it first.
    invalid: (payload) => {
      const problem = describeNameProblem(nameOf(payload));
      return problem ? { code: 'INVALID_NAME', error: problem } : undefined;
    },
    async run(manager, req, requester) {
      const info = await manager.spawn({ ...req, spawnerName: req.spawnerName ?? requester }, { requester, trusted: false });
      return { name: info.name, ...(info.pid !== undefined ? { pid: info.pid } : {}) };
    },
  }),
  RELEASE: request({
    schema: ReleaseRequestSchema,
    async run(manager, req) {
      const outcome = await manager.release(req.name, { force: req.force, reason: req.reason });
      return { exitCode: outcome.exitCode, signal: outcome.signal, endedBy: outcome.endedBy };
    },
  }),
  SEND_INPUT: request({
    schema: SendInputRequestSchema,
    async run(manager, req) {
      await manager.sendWorkerInput(req.name, req.data);
      return {};
    },
  }),
  SET_INJECT_MODE: request({
    schema: SetInjectModeRequestSchema,
    async run(manager, req) {
      const { injection, flushed } = await manager.setInjectMode(req.name, req.mode);
      return { injection, flushed };
    },
  }),
}));

export const WORKER_REQUEST_TYPES = new Set([...REQUESTS.keys(), 'LIST_WORKERS']);

/**
 * SPAWN / RELEASE / SEND_INPUT / SET_INJECT_MODE / LIST_WORKERS → the SpawnManager. Always answers a *_RESULT
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
  const entry = REQUESTS.get(type);
  if (!entry) return listWorkers(manager, replyTo);
  const resultType = `${type}_RESULT`;
  const base = { replyTo, name: nameOf(payload) };
  if (!manager) return { type: resultType, payload: { ...base, success: false, error: NOT_AVAILABLE, code: 'INTERNAL' } };
  const parsed = entry.schema.safeParse(payload ?? {});
  if (!parsed.success) {
    const refusal = entry.invalid?.(payload) ?? { code: 'BAD_REQUEST', error: describeIssues(parsed.error, type) };
    return { type: resultType, payload: { ...base, success: false, ...refusal } };
  }
  try {
    return { type: resultType, payload: { ...base, success: true, ...(await entry.run(manager, parsed.data, requester)) } };
  } catch (err) {
    return { type: resultType, payload: { ...base, ...failure(err) } };
  }
}

function listWorkers(manager: SpawnManagerApi | undefined, replyTo: string): { type: string; payload: Record<string, unknown> } {
  if (!manager) return { type: 'LIST_WORKERS_RESULT', payload: { replyTo, workers: [], error: NOT_AVAILABLE } };
  try {
    return { type: 'LIST_WORKERS_RESULT', payload: { replyTo, workers: manager.listWorkers() } };
  } catch (err) {
    return { type: 'LIST_WORKERS_RESULT', payload: { replyTo, workers: [], error: failure(err).error } };
  }
}
