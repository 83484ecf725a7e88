import { closeSync, existsSync, mkdtempSync, mkdirSync, openSync, readdirSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  createOutboxWatcher, parseOutboxFile,
  type OutboxCommand,
} from '../../server/relay-commands';

describe('outbox files', () => {
  it('parses message, spawn and release files', () => {
    expect(parseOutboxFile('TO: Bob\nTHREAD: t9\n\nhello\nworld\n')).toEqual({ type: 'message', to: 'Bob', body: 'hello\nworld', thread: 't9' });
    expect(parseOutboxFile('KIND: spawn\nNAME: W\nCLI: demo\nMODEL: m\nCWD: sub\n\ndo it')).toEqual({ type: 'spawn', name: 'W', cli: 'demo', task: 'do it', model: 'm', cwd: 'sub' });
    expect(parseOutboxFile('KIND: spawn\nNAME: W\nCLI: demo\nNODE: build-box\n\n')).toEqual({ type: 'spawn', name: 'W', cli: 'demo', task: '', node: 'build-box' });
    expect(parseOutboxFile('KIND: release\nNAME: W\n')).toEqual({ type: 'release', name: 'W' });
    expect(parseOutboxFile('\nno headers')).toHaveProperty('error');
  });

  it('the watcher picks up msg/spawn/release files per agent and deletes them', async () => {
    const root = mkdtempSync(join(tmpdir(), 'relay-outbox-'));
    try {
      const seen: Array<[string, OutboxCommand]> = [];
      const w = createOutboxWatcher({ root, handle: (agent, cmd) => void seen.push([agent, cmd]), pollMs: 100 });
      mkdirSync(join(root, 'Carol'), { recursive: true });
      writeFileSync(join(root, 'Carol', 'msg'), 'TO: Bob\n\nfrom a file');
      writeFileSync(join(root, 'Carol', 'other'), 'TO: Bob\n\nnot watched');
      const deadline = Date.now() + 5000;
      while (seen.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      w.close();
      expect(seen).toEqual([['Carol', { type: 'message', to: 'Bob', body: 'from a file' }]]);
      expect(readdirSync(join(root, 'Carol'))).toEqual(['other']);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('a file created first and written a moment later (a shell redirect, a writer under load) is read whole, not lost', async () => {
    const root = mkdtempSync(join(tmpdir(), 'relay-outbox-'));
    try {
      const seen: Array<[string, OutboxCommand]> = [];
      const w = createOutboxWatcher({ root, handle: (agent, cmd) => void seen.push([agent, cmd]), pollMs: 100 });
      mkdirSync(join(root, 'Boss'), { recursive: true });
      await new Promise((r) => setTimeout(r, 150));
      // Before: the create event's scan claimed the empty file, parsed it as "needs a TO: header"
      // and deleted it; the release written into it a moment later went nowhere.
      const fd = openSync(join(root, 'Boss', 'release'), 'w');
      await new Promise((r) => setTimeout(r, 300));
      writeSync(fd, 'KIND: release\nNAME: ');
      await new Promise((r) => setTimeout(r, 20));
      writeSync(fd, 'far2\n\nno longer needed\n');
      closeSync(fd);
      const deadline = Date.now() + 5000;
      while (seen.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      await w.close();
      expect(seen).toEqual([['Boss', { type: 'release', name: 'far2', reason: 'no longer needed' }]]);
      expect(readdirSync(join(root, 'Boss'))).toEqual([]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('an empty file left alone is taken after its grace period, so it does not sit there forever', async () => {
    const root = mkdtempSync(join(tmpdir(), 'relay-outbox-'));
    try {
      const w = createOutboxWatcher({ root, handle: () => {}, pollMs: 50, emptyGraceMs: 300 });
      mkdirSync(join(root, 'Boss'), { recursive: true });
      writeFileSync(join(root, 'Boss', 'msg'), '');
      await new Promise((r) => setTimeout(r, 150));
      expect(readdirSync(join(root, 'Boss'))).toEqual(['msg']);
      const deadline = Date.now() + 5000;
      while (readdirSync(join(root, 'Boss')).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      await w.close();
      expect(readdirSync(join(root, 'Boss'))).toEqual([]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('a watcher closed at once has made its folder by then, so removing the data folder after close is final', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'relay-outbox-'));
    try {
      const root = join(parent, '.agent-relay', 'outbox');
      const w = createOutboxWatcher({ root, handle: () => {}, pollMs: 100 });
      // Before: close() did not wait for the background mkdir, which then landed while the test
      // harness removed the data folder (ENOTEMPTY in CI) or recreated it after.
      await w.close();
      expect(existsSync(root)).toBe(true);
      rmSync(join(parent, '.agent-relay'), { recursive: true });
      await new Promise((r) => setTimeout(r, 200));
      expect(readdirSync(parent)).toEqual([]);
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });
});
