import type { Server } from 'socket.io';
import type { ClientToServerEvents, ServerToClientEvents } from '../../lib/realtime/events';

/** Room holding a worker's viewers. */
export const viewersRoom = (name: string) => `worker:${name}`;

/**
 * Who drives each worker (types into it and sets its size): the first viewer to attach, until it
 * leaves or another viewer takes over explicitly. One driver, so two tabs never fight over the
 * terminal size or interleave keystrokes. When the driver leaves nobody drives until someone
 * attaches or takes over: control never moves to a tab that did not ask for it.
 */
export class Drivers {
  private readonly byWorker = new Map<string, string>();

  constructor(private readonly io: Server<ClientToServerEvents, ServerToClientEvents>) {}

  get(name: string): string | null {
    return this.byWorker.get(name) ?? null;
  }

  isDriver(name: string, socketId: string): boolean {
    return this.byWorker.get(name) === socketId;
  }

  /** On attach: the viewer drives when nobody does. Returns the driver. */
  claimIfFree(name: string, socketId: string): string {
    const current = this.byWorker.get(name);
    if (current) return current;
    this.set(name, socketId);
    return socketId;
  }

  take(name: string, socketId: string): void {
    if (this.byWorker.get(name) !== socketId) this.set(name, socketId);
  }

  leave(name: string, socketId: string): void {
    if (this.byWorker.get(name) === socketId) this.set(name, null);
  }

  leaveAll(socketId: string): void {
    for (const [name, driver] of [...this.byWorker]) if (driver === socketId) this.set(name, null);
  }

  forgetWorker(name: string): void {
    this.byWorker.delete(name);
  }

  private set(name: string, driver: string | null): void {
    if (driver) this.byWorker.set(name, driver);
    else this.byWorker.delete(name);
    this.io.to(viewersRoom(name)).emit('worker:driver', { name, driver });
  }
}
