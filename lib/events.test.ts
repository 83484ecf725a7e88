import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { DisposableStore, subscribe, toDisposable } from './events';

interface Events {
  data: (value: number) => void;
  end: () => void;
}

describe('subscribe', () => {
  it('subscribes every handler of the map and one dispose() removes exactly those, once', () => {
    const emitter = new EventEmitter();
    const seen: string[] = [];
    const other = () => seen.push('other');
    emitter.on('data', other);
    const sub = subscribe<Events>(emitter, { data: (v) => seen.push(`data ${v}`), end: () => seen.push('end') });
    emitter.emit('data', 1);
    emitter.emit('end');
    sub.dispose();
    sub.dispose();
    emitter.emit('data', 2);
    emitter.emit('end');
    expect(seen).toEqual(['other', 'data 1', 'end', 'other']);
    expect(emitter.listenerCount('data')).toBe(1);
    expect(emitter.listenerCount('end')).toBe(0);
  });
});

describe('DisposableStore', () => {
  it('disposes what it holds in reverse order, and at once what is added after', () => {
    const order: number[] = [];
    const store = new DisposableStore();
    store.add(toDisposable(() => order.push(1)));
    store.add(toDisposable(() => order.push(2)));
    store.dispose();
    store.dispose();
    store.add(toDisposable(() => order.push(3)));
    expect(order).toEqual([2, 1, 3]);
  });
});
