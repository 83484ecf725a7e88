/**
 * Typed events with disposables, for both sides (Node emitters in server/, socket.io in the browser):
 * a subscription is made from one map of handlers and undone by one `dispose()`, so there is no
 * hand-kept list of `off` calls to get out of step with the `on` calls (VS Code's `IDisposable`).
 */

/** Something to undo: a subscription, a group of them. */
export interface Disposable {
  dispose(): void;
}

/** Event name → listener signature (the shape of `WorkerEvents`, `SpawnManagerEvents`, `ServerToClientEvents`). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a listener may take any arguments
export type ListenerMap<L> = { [K in keyof L]: (...args: any[]) => void };

/** What can be subscribed to with the events of `L` (a TypedEmitter, SpawnManagerApi, a socket.io socket). */
export interface Subscribable<L extends ListenerMap<L>> {
  on<K extends keyof L>(event: K, listener: L[K]): unknown;
  off<K extends keyof L>(event: K, listener: L[K]): unknown;
}

export type Handlers<L extends ListenerMap<L>> = { [K in keyof L]?: L[K] };

/** Subscribes each handler to its event; the Disposable unsubscribes exactly those, once. */
export function subscribe<L extends ListenerMap<L>>(target: Subscribable<L>, handlers: NoInfer<Handlers<L>>): Disposable {
  const entries = (Object.keys(handlers) as Array<keyof L>).flatMap((event) => {
    const listener = handlers[event];
    return listener ? [[event, listener] as const] : [];
  });
  for (const [event, listener] of entries) target.on(event, listener);
  let disposed = false;
  return {
    dispose() {
      if (disposed) return;
      disposed = true;
      for (const [event, listener] of entries) target.off(event, listener);
    },
  };
}

/** Several disposables undone together, in reverse order of adding. */
export class DisposableStore implements Disposable {
  private readonly items: Disposable[] = [];
  private disposed = false;

  add<T extends Disposable>(item: T): T {
    if (this.disposed) item.dispose();
    else this.items.push(item);
    return item;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const item of this.items.splice(0).reverse()) item.dispose();
  }
}

/** A Disposable from a plain function (a timer cleared, a handle detached). */
export function toDisposable(fn: () => void): Disposable {
  let done = false;
  return {
    dispose() {
      if (done) return;
      done = true;
      fn();
    },
  };
}
