import type { RelayIo } from './io';

/** Room holding a worker's viewers. */
export const viewersRoom = (name: string) => `worker:${name}`;

/**
 * Where the driver of a worker on another node of a cluster is kept: on that node (server/cluster,
 * docs/cluster.md). A viewer there is `node:socketId`; a viewer here is its socket id.
 */
export interface DriverAuthority {
  readonly node: string;
  /** `name` runs on another node: its driver is kept there. */
  isRemote(name: string): boolean;
  /** Ask the owner: drive if nobody does ('claim'), 'take' over, or 'leave'. Resolves with who drives now. */
  request(name: string, viewer: string, action: DriverAction): Promise<string | null>;
  /** A driver of a worker of this node changed (the other nodes' viewers are told). */
  changed(name: string, driver: string | null): void;
  /** Called once: remote requests for this node's workers, and owners' changes for theirs, go to `drivers`. */
  bind(drivers: Drivers): void;
}
export type DriverAction = 'claim' | 'take' | 'leave';

/**
 * Who drives each worker (types into it and sets its size): the first viewer to attach, until it
 * leaves or another viewer takes over explicitly. One driver, so two tabs never fight over the
 * terminal size or interleave keystrokes. When the driver leaves nobody drives until someone
 * attaches or takes over: control never moves to a tab that did not ask for it. In a cluster the
 * worker's own node keeps its driver, so this holds for viewers on every node (DriverAuthority):
 * here the owner's last word is mirrored, and each claim, take or leave is sent to it.
 */
export class Drivers {
  private readonly byWorker = new Map<string, string>();

  constructor(
    private readonly io: RelayIo,
    private readonly authority?: DriverAuthority,
  ) {
    authority?.bind(this);
  }

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
    this.ask(name, socketId, 'claim');
    return socketId;
  }

  take(name: string, socketId: string): void {
    if (this.byWorker.get(name) !== socketId) this.set(name, socketId);
    this.ask(name, socketId, 'take');
  }

  leave(name: string, socketId: string): void {
    if (this.byWorker.get(name) !== socketId) return;
    this.set(name, null);
    this.ask(name, socketId, 'leave');
  }

  leaveAll(socketId: string): void {
    for (const [name, driver] of [...this.byWorker]) if (driver === socketId) this.leave(name, driver);
  }

  /** The owner of a worker on another node says who drives it now (a viewer `node:socket`, or null). */
  fromOwner(name: string, driver: string | null): void {
    const local = this.local(driver);
    if ((this.byWorker.get(name) ?? null) !== local) this.set(name, local);
  }

  /** A viewer on another node (`node:socket`) asks about one of this node's workers; answers who drives now. */
  applyRemote(name: string, viewer: string, action: DriverAction): string | null {
    if (action === 'claim') this.claimIfFree(name, viewer);
    else if (action === 'take') this.take(name, viewer);
    else this.leave(name, viewer);
    return this.global(this.byWorker.get(name) ?? null);
  }

  private ask(name: string, socketId: string, action: DriverAction): void {
    if (!this.authority?.isRemote(name)) return;
    this.authority
      .request(name, `${this.authority.node}:${socketId}`, action)
      .then((driver) => this.fromOwner(name, driver))
      .catch(() => undefined); // the owner is away: this node's view stands until it answers
  }

  /** A viewer id as this node's sockets know it: its own viewers bare, others' with their node. */
  private local(driver: string | null): string | null {
    const prefix = this.authority ? `${this.authority.node}:` : undefined;
    return driver && prefix && driver.startsWith(prefix) ? driver.slice(prefix.length) : driver;
  }

  private global(driver: string | null): string | null {
    return driver && this.authority && !driver.includes(':') ? `${this.authority.node}:${driver}` : driver;
  }

  forgetWorker(name: string): void {
    this.byWorker.delete(name);
  }

  private set(name: string, driver: string | null): void {
    if (driver) this.byWorker.set(name, driver);
    else this.byWorker.delete(name);
    this.io.to(viewersRoom(name)).emit('worker:driver', { name, driver });
    if (this.authority && !this.authority.isRemote(name)) this.authority.changed(name, this.global(driver));
  }
}
