import type { z } from 'zod';
import { toErrorReply } from '../../lib/protocol/errors';
import { AckSchema, AttachSchema, DetachSchema, DriveSchema, InputSchema, ResizeSchema } from '../../lib/realtime/events';
import type { Logger } from '../logger';
import type { SpawnManagerApi } from '../spawn/types';
import { viewersRoom, type Drivers } from './drivers';
import type { RelaySocket } from './io';
import type { OutputHub, ViewerSink } from './output-hub';

/**
 * One viewer connection's events. Every payload is validated; a bad one is answered with
 * `{ok:false, error}` (when the client asked for a reply) and never throws.
 */

type ErrorReply = { ok: false; error: { code: string; message: string } };
type AnyReply = (result: unknown) => void;

function replier(reply: unknown): AnyReply {
  return typeof reply === 'function' ? (reply as AnyReply) : () => {};
}

function fail(code: string, message: string): ErrorReply {
  return { ok: false, error: { code, message } };
}

function invalid(event: string, error: z.ZodError): ErrorReply {
  const issue = error.issues[0];
  const where = issue?.path.length ? ` (${issue.path.join('.')})` : '';
  return fail('BAD_REQUEST', `Invalid ${event} payload${where}: ${issue?.message ?? 'malformed'}.`);
}

/** A WorkerError's code and sentence pass through; anything else is INTERNAL (lib/protocol/errors.ts). */
function fromError(err: unknown): ErrorReply {
  const { code, message } = toErrorReply(err);
  return fail(code, message);
}

export interface ViewerContext {
  socket: RelaySocket;
  sink: ViewerSink;
  hub: OutputHub;
  drivers: Drivers;
  spawnManager: SpawnManagerApi;
  log: Logger;
}

export function registerViewerHandlers({ socket, sink, hub, drivers, spawnManager, log }: ViewerContext): void {
  const notDriver = (name: string) =>
    fail('NOT_DRIVER', `This view only watches "${name}"; take control (worker:drive) before typing or resizing.`);

  socket.on('worker:attach', async (payload: unknown, reply: unknown) => {
    const respond = replier(reply);
    const parsed = AttachSchema.safeParse(payload);
    if (!parsed.success) return respond(invalid('worker:attach', parsed.error));
    const { name, since } = parsed.data;
    const worker = spawnManager.getWorker(name);
    if (!worker) return respond(fail('NOT_FOUND', `No worker named "${name}"; the worker list shows which exist.`));
    await socket.join(viewersRoom(name));
    const driver = drivers.claimIfFree(name, socket.id);
    let replied = false;
    try {
      await hub.attach(name, sink, since, (mode) => {
        replied = true;
        respond({ ok: true, mode, driver, worker });
      });
    } catch (err) {
      log.warn({ err, worker: name }, 'realtime: attach failed');
      hub.detach(name, socket.id);
      drivers.leave(name, socket.id);
      await socket.leave(viewersRoom(name));
      if (!replied) respond(fromError(err));
    }
  });

  socket.on('worker:detach', async (payload: unknown) => {
    const parsed = DetachSchema.safeParse(payload);
    if (!parsed.success) return;
    hub.detach(parsed.data.name, socket.id);
    drivers.leave(parsed.data.name, socket.id);
    await socket.leave(viewersRoom(parsed.data.name));
  });

  socket.on('worker:ack', (payload: unknown) => {
    const parsed = AckSchema.safeParse(payload);
    if (parsed.success) hub.ack(parsed.data.name, socket.id, parsed.data.offset);
  });

  socket.on('worker:drive', (payload: unknown, reply: unknown) => {
    const respond = replier(reply);
    const parsed = DriveSchema.safeParse(payload);
    if (!parsed.success) return respond(invalid('worker:drive', parsed.error));
    const { name } = parsed.data;
    if (!hub.isAttached(name, socket.id)) return respond(fail('NOT_ATTACHED', `Attach to "${name}" before taking control of it.`));
    drivers.take(name, socket.id);
    respond({ ok: true });
  });

  socket.on('worker:input', async (payload: unknown, reply: unknown) => {
    const respond = replier(reply);
    const parsed = InputSchema.safeParse(payload);
    if (!parsed.success) return respond(invalid('worker:input', parsed.error));
    const { name, data } = parsed.data;
    if (!drivers.isDriver(name, socket.id)) return respond(notDriver(name));
    try {
      await spawnManager.sendWorkerInput(name, data);
      respond({ ok: true });
    } catch (err) {
      respond(fromError(err));
    }
  });

  socket.on('worker:resize', async (payload: unknown, reply: unknown) => {
    const respond = replier(reply);
    const parsed = ResizeSchema.safeParse(payload);
    if (!parsed.success) return respond(invalid('worker:resize', parsed.error));
    const { name, cols, rows } = parsed.data;
    if (!drivers.isDriver(name, socket.id)) return respond(notDriver(name));
    try {
      await spawnManager.resize(name, cols, rows);
      respond({ ok: true });
    } catch (err) {
      respond(fromError(err));
    }
  });
}
