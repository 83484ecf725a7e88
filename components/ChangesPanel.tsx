'use client';
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo, useRef, useState } from 'react';
import { Diff, Hunk, parseDiff, type FileData, type HunkData } from 'react-diff-view';
import { ApiError } from '../client/api';
import { changesKey, commitWork, discardWork, discardWorktree, mergeWork, patchUrl, useChanges } from '../client/worktrees';
import type { FileChange, MergeStrategy, WorktreeInfo } from '../lib/protocol/worktrees';

/**
 * Whose work is shown: a worker's (its pane's Changes tab) or a worktree whose worker is gone (an
 * orphan, from the worker list's Worktrees section), whose discard deletes only worktree and branch.
 */
export interface ChangesSubject {
  name: string;
  worktree: WorktreeInfo;
  /** The worker's task: the default commit message. */
  task?: string;
  /** The worker still runs (a discard releases it first). */
  running: boolean;
  /** No worker is listed: discard with DELETE /api/worktrees/:name. */
  orphan?: boolean;
}

/**
 * A worker's Changes tab (docs/worktrees.md): its files against the base with +/- counts, the selected
 * file's diff rendered by react-diff-view (docs/decisions/0007-worktrees.md), and commit / merge / patch / discard.
 * Kept fresh by `worker:changes` pushes; only the selected file is rendered, so a 5,000-line change
 * stays quick.
 */

const BTN =
  'rounded border border-ink-700 bg-ink-850 px-2 py-0.5 text-[11px] font-medium text-ink-300 transition hover:border-ink-500 hover:text-ink-100 disabled:opacity-40';
const LETTER: Record<FileChange['status'], string> = { added: 'A', modified: 'M', deleted: 'D', renamed: 'R', copied: 'C', typechange: 'T' };
const LETTER_CLASS: Record<FileChange['status'], string> = {
  added: 'text-run', modified: 'text-attn', deleted: 'text-dead', renamed: 'text-idle', copied: 'text-idle', typechange: 'text-ink-300',
};

function fileOf(parsed: FileData[], change: FileChange | undefined): FileData | undefined {
  if (!change) return undefined;
  return parsed.find((f) => f.newPath === change.path || (change.status === 'deleted' && f.oldPath === change.path));
}

type Pending = null | 'commit' | 'merge' | 'discard';

/**
 * Rows of diff rendered at first; each time the end scrolls into view the limit doubles.
 * react-diff-view renders every row of what it is given: a 5,000-line change (10,000 rows) at once
 * took 6 s to appear on a loaded machine (load average 11 on two cores), the first 600 rows 0.3-0.4 s.
 */
const ROWS_STEP = 600;

/** The first `limit` rows of a file's hunks (the last hunk cut), and how many rows there are in all. */
function firstRows(hunks: HunkData[], limit: number): { hunks: HunkData[]; total: number } {
  const total = hunks.reduce((n, h) => n + h.changes.length, 0);
  if (total <= limit) return { hunks, total };
  const out: HunkData[] = [];
  let left = limit;
  for (const h of hunks) {
    if (left <= 0) break;
    out.push(h.changes.length <= left ? h : { ...h, changes: h.changes.slice(0, left) });
    left -= h.changes.length;
  }
  return { hunks: out, total };
}

export function ChangesPanel({ subject, className = 'absolute inset-0 z-10' }: { subject: ChangesSubject; className?: string }) {
  const { name, worktree, task } = subject;
  const client = useQueryClient();
  const changes = useChanges(name, true);
  const [selected, setSelected] = useState<string | null>(null);
  const [strategy, setStrategy] = useState<MergeStrategy>('ff');
  const [busy, setBusy] = useState<Pending>(null);
  const [confirmDiscard, setConfirmDiscard] = useState(false);
  const [commitMessage, setCommitMessage] = useState<string | null>(null);
  const [notice, setNotice] = useState<{ kind: 'ok' | 'error'; text: string; files?: string[] } | null>(null);

  const data = changes.data;
  const parsed = useMemo(() => (data?.diff ? parseDiff(data.diff) : []), [data?.diff]);
  const current = data?.files.find((f) => f.path === selected) ?? data?.files[0];
  const file = fileOf(parsed, current);
  const target = data?.base.branch ?? worktree.baseBranch;
  const [limit, setLimit] = useState(ROWS_STEP);
  useEffect(() => setLimit(ROWS_STEP), [current?.path]);
  const shown = useMemo(() => (file ? firstRows(file.hunks, limit) : undefined), [file, limit]);
  const more = useRef<HTMLDivElement>(null);
  const scroller = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const sentinel = more.current;
    if (!sentinel || !shown || shown.total <= limit) return;
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) setLimit((l) => l * 2);
    }, { root: scroller.current, rootMargin: '400px' });
    observer.observe(sentinel);
    return () => observer.disconnect();
  }, [shown, limit]);

  async function run(kind: Exclude<Pending, null>, work: () => Promise<string>) {
    setBusy(kind);
    setNotice(null);
    try {
      setNotice({ kind: 'ok', text: await work() });
      void client.invalidateQueries({ queryKey: changesKey(name) });
    } catch (err) {
      const e = err as ApiError;
      setNotice({ kind: 'error', text: e.message, files: e instanceof ApiError ? e.files : undefined });
    } finally {
      setBusy(null);
    }
  }

  const merge = () =>
    run('merge', async () => {
      const r = await mergeWork(name, strategy, data?.uncommitted ?? false);
      if (r.upToDate) return `${r.baseBranch} already has all of it.`;
      return `Merged into ${r.baseBranch} (${r.strategy === 'ff' ? 'fast-forward' : 'merge commit'}) at ${r.commit.slice(0, 8)}${r.committed ? `, after committing ${r.committed.files} file(s)` : ''}.`;
    });
  const commit = () =>
    run('commit', async () => {
      const r = await commitWork(name, commitMessage?.trim() || undefined);
      setCommitMessage(null);
      return `Committed ${r.files} file(s) as ${r.commit.slice(0, 8)}: ${r.message}`;
    });
  const discard = () =>
    run('discard', async () => {
      await (subject.orphan ? discardWorktree(name) : discardWork(name));
      setConfirmDiscard(false);
      return 'Discarded.';
    });

  return (
    <div className={`${className} flex min-h-0 flex-col bg-ink-950 text-ink-200`} data-testid={`changes-${name}`}>
      {/* The layout follows the pane's width only, never the text: the summary changes with every push
          (uncommitted → 1 commit), and on one wrapping row that moved the buttons under the pointer (a
          click landing mid-move was lost). Summary and branch truncate; the buttons keep their place. */}
      <div className="flex shrink-0 flex-col gap-1 border-b border-ink-700/80 bg-ink-900 px-2.5 py-1.5 text-[11px] @2xl:flex-row @2xl:items-center">
        <div className="flex min-w-0 flex-1 items-center gap-1.5 whitespace-nowrap">
          <span className="truncate font-mono text-ink-100" title={worktree.path}>
            {worktree.branch}
          </span>
          <span className="shrink-0 text-ink-500">→ {target ?? `${worktree.base} (no branch)`}</span>
          {data && (
            <span className="truncate font-mono text-ink-400" data-testid={`changes-summary-${name}`}>
              {data.files.length} file{data.files.length === 1 ? '' : 's'} <span className="text-run">+{data.additions}</span>{' '}
              <span className="text-dead">−{data.deletions}</span>
              {data.ahead ? ` · ${data.ahead} commit${data.ahead === 1 ? '' : 's'}` : ''}
              {data.uncommitted ? ' · uncommitted' : ''}
              {!data.unmerged ? ' · merged' : ''}
            </span>
          )}
        </div>
        <div className="flex flex-wrap items-center justify-end gap-1 @2xl:shrink-0 @2xl:flex-nowrap">
          <button type="button" className={BTN} disabled={busy !== null || !data?.uncommitted} onClick={() => setCommitMessage(commitMessage === null ? '' : null)} data-testid={`commit-${name}`}>
            Commit
          </button>
          <select
            className="rounded border border-ink-700 bg-ink-850 px-1 py-0.5 text-[11px] text-ink-300"
            value={strategy}
            onChange={(e) => setStrategy(e.target.value as MergeStrategy)}
            aria-label="Merge strategy"
            data-testid={`merge-strategy-${name}`}
          >
            <option value="ff">fast-forward</option>
            <option value="merge">merge commit</option>
          </select>
          <button
            type="button"
            className={`${BTN} min-w-[6.75rem] !border-accent/50 !text-accent`}
            disabled={busy !== null || !data?.unmerged || !target}
            onClick={() => void merge()}
            data-testid={`merge-${name}`}
            title={target ? `Merge ${worktree.branch} into ${target}` : 'Started from a commit, not a branch: merge by hand'}
          >
            {busy === 'merge' ? 'Merging…' : data?.uncommitted ? 'Commit & merge' : 'Merge'}
          </button>
          <a className={BTN} href={patchUrl(name)} download={`${name}.patch`} data-testid={`patch-${name}`}>
            Patch
          </a>
          <button type="button" className={`${BTN} hover:!border-dead/60 hover:!text-dead`} disabled={busy !== null} onClick={() => setConfirmDiscard(true)} data-testid={`discard-${name}`}>
            Discard
          </button>
        </div>
      </div>
      {commitMessage !== null && (
        <form
          className="flex shrink-0 items-center gap-1.5 border-b border-ink-700/80 bg-ink-850 px-2.5 py-1"
          onSubmit={(e) => {
            e.preventDefault();
            void commit();
          }}
        >
          <input
            autoFocus
            value={commitMessage}
            onChange={(e) => setCommitMessage(e.target.value)}
            placeholder={task ? `Message (default: ${task.split('\n')[0].slice(0, 60)})` : `Message (default: Work of ${name})`}
            className="min-w-0 flex-1 rounded border border-ink-700 bg-ink-950 px-2 py-0.5 text-xs text-ink-100 placeholder:text-ink-500 focus:outline-none"
            aria-label="Commit message"
            data-testid={`commit-message-${name}`}
          />
          <button type="submit" className={BTN} disabled={busy !== null} data-testid={`commit-submit-${name}`}>
            {busy === 'commit' ? 'Committing…' : 'Commit all'}
          </button>
        </form>
      )}
      {confirmDiscard && (
        <div className="flex shrink-0 flex-wrap items-center gap-2 border-b border-dead/30 bg-dead/10 px-2.5 py-1.5 text-[11px] text-dead" role="alert" data-testid={`discard-confirm-${name}`}>
          <span className="min-w-0 flex-1">
            Delete {worktree.path} and branch {worktree.branch}
            {data?.unmerged ? ` with ${data.files.length} unmerged file(s)${data.ahead ? ` and ${data.ahead} commit(s)` : ''}` : ''}? This cannot be undone
            {subject.running ? '; the worker is released first' : ''}.
          </span>
          <button type="button" className={`${BTN} !border-dead/60 !text-dead`} onClick={() => void discard()} disabled={busy !== null} data-testid={`discard-yes-${name}`}>
            {busy === 'discard' ? 'Discarding…' : 'Discard'}
          </button>
          <button type="button" className={BTN} onClick={() => setConfirmDiscard(false)}>
            Cancel
          </button>
        </div>
      )}
      {notice && (
        <div
          className={`shrink-0 border-b px-2.5 py-1 text-[11px] ${notice.kind === 'ok' ? 'border-run/30 bg-run/10 text-run' : 'border-dead/30 bg-dead/10 text-dead'}`}
          role={notice.kind === 'error' ? 'alert' : 'status'}
          data-testid={`changes-notice-${name}`}
        >
          {notice.text}
          {notice.files?.length ? <span className="ml-1 font-mono">[{notice.files.join(', ')}]</span> : null}
        </div>
      )}
      {changes.isError && (
        <div className="shrink-0 border-b border-dead/30 bg-dead/10 px-2.5 py-1 text-[11px] text-dead" role="alert">
          {changes.error.message}
        </div>
      )}
      <div className="flex min-h-0 flex-1 flex-col @lg:flex-row">
        <ul className="max-h-32 shrink-0 overflow-y-auto border-b border-ink-700/80 py-1 @lg:max-h-none @lg:w-56 @lg:border-r @lg:border-b-0" data-testid={`changes-files-${name}`}>
          {data && data.files.length === 0 && <li className="px-3 py-2 text-[11px] text-ink-500">No changes against {data.base.branch ?? data.base.ref}.</li>}
          {!data && changes.isLoading && <li className="px-3 py-2 text-[11px] text-ink-500">Reading changes…</li>}
          {data?.files.map((f) => (
            <li key={f.path}>
              <button
                type="button"
                onClick={() => setSelected(f.path)}
                className={`flex w-full items-center gap-1.5 px-2.5 py-0.5 text-left font-mono text-[11px] ${f.path === current?.path ? 'bg-ink-800 text-ink-100' : 'text-ink-300 hover:bg-ink-850'}`}
                data-testid={`changes-file-${name}-${f.path}`}
                title={f.oldPath ? `${f.oldPath} → ${f.path}` : f.path}
              >
                <span className={`w-3 shrink-0 ${LETTER_CLASS[f.status]}`}>{LETTER[f.status]}</span>
                <span className="min-w-0 flex-1 truncate">{f.path}</span>
                <span className="shrink-0 text-ink-500">{f.binary ? 'bin' : <><span className="text-run">+{f.additions}</span> <span className="text-dead">−{f.deletions}</span></>}</span>
              </button>
            </li>
          ))}
        </ul>
        <div ref={scroller} className="min-h-0 min-w-0 flex-1 overflow-auto text-xs" data-testid={`changes-diff-${name}`}>
          {data?.truncated && <p className="px-3 py-1 text-[11px] text-attn">The diff is large and was cut; download the patch for all of it.</p>}
          {current && !file && <p className="px-3 py-2 text-[11px] text-ink-500">{current.binary ? 'Binary file: no text diff.' : 'No text diff for this file.'}</p>}
          {file && shown && (
            <Diff viewType="unified" diffType={file.type} hunks={shown.hunks} className="relay-diff">
              {(hunks) => hunks.map((h) => <Hunk key={h.content} hunk={h} />)}
            </Diff>
          )}
          {shown && shown.total > limit && (
            <div ref={more} className="px-3 py-2 text-[11px] text-ink-500" data-testid={`changes-more-${name}`}>
              {limit} of {shown.total} lines shown; scroll for more.
            </div>
          )}
        </div>
      </div>
    </div>
  );
}
