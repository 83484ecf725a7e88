'use client';

/** The spawn dialog's worktree part: the toggle, base and branch, and the confirmation a dirty checkout needs. */

export interface WorktreeChoice {
  on: boolean;
  base: string;
  branch: string;
  /** The user confirmed starting without the checkout's uncommitted changes (after a DIRTY_BASE). */
  allowDirty: boolean;
}

/** The request's `worktree` field for a choice (absent when off). */
export function worktreeField(c: WorktreeChoice): { worktree?: true | { base?: string; branch?: string; allowDirty?: boolean } } {
  if (!c.on) return {};
  const opts = { ...(c.base.trim() ? { base: c.base.trim() } : {}), ...(c.branch.trim() ? { branch: c.branch.trim() } : {}), ...(c.allowDirty ? { allowDirty: true } : {}) };
  return { worktree: Object.keys(opts).length ? opts : true };
}

const INPUT = 'w-full rounded-md border border-ink-700 bg-ink-950 px-2.5 py-1.5 font-mono text-sm text-ink-100 placeholder:text-ink-500 focus:border-accent/60 focus:outline-none';

export function WorktreeFields({
  name,
  choice,
  onChange,
  error,
  dirtyFiles,
}: {
  name: string;
  choice: WorktreeChoice;
  onChange: (c: WorktreeChoice) => void;
  /** The server's refusal (not a repository, unknown base, taken branch, git missing, dirty). */
  error?: string;
  /** DIRTY_BASE: the files that would not be in the worktree. */
  dirtyFiles?: string[];
}) {
  return (
    <div className="space-y-2 rounded-md border border-ink-700/80 bg-ink-950/40 p-2.5">
      <label className="flex items-center gap-2 text-sm text-ink-200">
        <input
          type="checkbox"
          checked={choice.on}
          onChange={(e) => onChange({ ...choice, on: e.target.checked, allowDirty: false })}
          className="accent-[var(--color-accent)]"
          data-testid="spawn-worktree"
        />
        Isolate in a git worktree
        <span className="text-[11px] text-ink-500">its own branch; review and merge its changes here</span>
      </label>
      {choice.on && (
        <div className="grid grid-cols-2 gap-3">
          <div className="space-y-1">
            <label htmlFor="spawn-base" className="block text-[11px] font-medium uppercase tracking-wider text-ink-400">
              Base
            </label>
            <input id="spawn-base" value={choice.base} onChange={(e) => onChange({ ...choice, base: e.target.value, allowDirty: false })} placeholder="HEAD" className={INPUT} data-testid="spawn-base" spellCheck={false} />
          </div>
          <div className="space-y-1">
            <label htmlFor="spawn-branch" className="block text-[11px] font-medium uppercase tracking-wider text-ink-400">
              Branch
            </label>
            <input id="spawn-branch" value={choice.branch} onChange={(e) => onChange({ ...choice, branch: e.target.value })} placeholder={`relay/${name || 'name'}`} className={INPUT} data-testid="spawn-branch" spellCheck={false} />
          </div>
        </div>
      )}
      {choice.on && error && (
        <p className="text-xs text-dead" role="alert" data-testid="spawn-worktree-error">
          {error}
        </p>
      )}
      {choice.on && dirtyFiles && dirtyFiles.length > 0 && (
        <label className="flex items-start gap-2 text-xs text-attn">
          <input type="checkbox" checked={choice.allowDirty} onChange={(e) => onChange({ ...choice, allowDirty: e.target.checked })} data-testid="spawn-allow-dirty" className="mt-0.5" />
          Start from the last commit without these uncommitted changes ({dirtyFiles.slice(0, 5).join(', ')}
          {dirtyFiles.length > 5 ? ` and ${dirtyFiles.length - 5} more` : ''})
        </label>
      )}
    </div>
  );
}
