import { describe, expect, it } from 'vitest';
import type { WorkerInfo } from '../lib/protocol/workers';
import { bringOnScreen, gridOrder, listOrder, listRows, placeFocused } from './initialData';

const w = (name: string, status: WorkerInfo['status'] = 'running') => ({ name, status }) as WorkerInfo;
const names = (list: WorkerInfo[]) => list.map((x) => x.name);

describe('the grid order with a focused pane (docs/dashboard.md, Layout)', () => {
  const workers = [w('a'), w('b'), w('c'), w('d')];

  it('keeps every pane in its slot while the focused one is on screen', () => {
    const slots = gridOrder(workers, ['a', 'b', 'c', 'd']);
    expect(names(placeFocused(slots, 'a', 2))).toEqual(['a', 'b', 'c', 'd']);
    expect(names(placeFocused(slots, 'b', 2))).toEqual(['a', 'b', 'c', 'd']);
    expect(names(placeFocused(slots, 'd', 4))).toEqual(['a', 'b', 'c', 'd']);
  });

  it('brings a focused pane that is off screen to the first slot, the others in their order after it', () => {
    const slots = gridOrder(workers, ['a', 'b', 'c', 'd']);
    expect(names(placeFocused(slots, 'c', 2))).toEqual(['c', 'a', 'b', 'd']);
    expect(names(placeFocused(slots, 'b', 1))).toEqual(['b', 'a', 'c', 'd']);
  });

  it('leaves the order alone without a focused pane or with an unknown one', () => {
    const slots = gridOrder(workers, []);
    expect(names(placeFocused(slots, null, 1))).toEqual(['a', 'b', 'c', 'd']);
    expect(names(placeFocused(slots, 'gone', 1))).toEqual(['a', 'b', 'c', 'd']);
  });
});

describe('a worker brought on screen (docs/dashboard.md, Layout)', () => {
  it('takes the place of the pane focused longest ago; the panes just used stay', () => {
    // drive was on screen, never focused; flood was just focused: echo replaces drive, not flood.
    expect(bringOnScreen(['drive', 'flood', 'echo'], 2, 'echo', ['flood'])).toEqual(['echo', 'flood', 'drive']);
    expect(bringOnScreen(['a', 'b', 'c', 'd', 'e'], 4, 'e', ['c', 'a', 'd', 'b'])).toEqual(['a', 'e', 'c', 'd', 'b']);
  });

  it('fills a free slot first, and alone it replaces the one pane', () => {
    expect(bringOnScreen(['a'], 2, 'b', ['a'])).toEqual(['a', 'b']);
    expect(bringOnScreen(['a', 'b'], 1, 'b', ['a'])).toEqual(['b', 'a']);
  });
});

describe('the sidebar rows with many ended workers (docs/dashboard.md, Layout)', () => {
  const listed = listOrder([w('e1', 'exited'), w('live1'), w('e2', 'exited'), w('e3', 'exited'), w('live2'), w('e4', 'exited')]);

  it('lists every live worker and the ended ones spawned last, in the list order', () => {
    const { rows, hidden } = listRows(listed, { all: false, pinned: [], limit: 2 });
    expect(names(rows)).toEqual(['live1', 'live2', 'e3', 'e4']);
    expect(hidden).toBe(2);
  });

  it('keeps an older ended worker that is on screen or focused', () => {
    const { rows, hidden } = listRows(listed, { all: false, pinned: ['e1'], limit: 2 });
    expect(names(rows)).toEqual(['live1', 'live2', 'e1', 'e3', 'e4']);
    expect(hidden).toBe(1);
  });

  it('lists everything when asked, or when the ended ones fit', () => {
    expect(listRows(listed, { all: true, pinned: [], limit: 2 })).toEqual({ rows: listed, hidden: 0 });
    expect(listRows(listed, { all: false, pinned: [], limit: 4 })).toEqual({ rows: listed, hidden: 0 });
  });
});
