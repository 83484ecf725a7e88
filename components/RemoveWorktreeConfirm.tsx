'use client';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { removeWorkers } from '../client/workerActions';

const BTN = 'rounded border px-2 py-0.5 text-[11px] font-medium transition disabled:opacity-40';

/**
 * Removing a worker whose worktree holds unmerged work asks first (docs/worktrees.md): discard it
 * with the worker, keep worktree and branch (GET /api/worktrees and `up` still list them), or cancel.
 */
export function RemoveWorktreeConfirm({ name, reason, onDone }: { name: string; reason: { message: string; files?: string[] }; onDone: () => void }) {
  const client = useQueryClient();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  async function choose(choice: 'discard' | 'keep') {
    setBusy(true);
    const [failed] = await removeWorkers(client, [name], choice);
    setBusy(false);
    if (failed) setError(failed.message);
    else onDone();
  }
  return (
    <div className="shrink-0 space-y-1 border-b border-attn/30 bg-attn/10 px-3 py-1.5 text-[11px] text-attn" role="alertdialog" aria-label={`Remove ${name}?`} data-testid={`remove-confirm-${name}`}>
      <p>{error ?? reason.message}</p>
      {reason.files?.length ? <p className="truncate font-mono text-ink-300">{reason.files.slice(0, 8).join(', ')}{reason.files.length > 8 ? ` and ${reason.files.length - 8} more` : ''}</p> : null}
      <div className="flex gap-1.5">
        <button type="button" disabled={busy} className={`${BTN} border-dead/60 text-dead hover:bg-dead/10`} onClick={() => void choose('discard')} data-testid={`remove-discard-${name}`}>
          Discard work and remove
        </button>
        <button type="button" disabled={busy} className={`${BTN} border-ink-600 text-ink-200 hover:border-ink-400`} onClick={() => void choose('keep')} data-testid={`remove-keep-${name}`}>
          Keep worktree and branch, remove
        </button>
        <button type="button" disabled={busy} className={`${BTN} border-transparent text-ink-400 hover:text-ink-200`} onClick={onDone}>
          Cancel
        </button>
      </div>
    </div>
  );
}
