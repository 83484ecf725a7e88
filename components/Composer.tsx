'use client';
import { forwardRef, useState } from 'react';
import { apiFetch } from '../client/api';

/** Write to any agent (or `*` for everyone) as the dashboard user. Enter sends, Shift+Enter adds a line. */
export const Composer = forwardRef<
  HTMLTextAreaElement,
  { agents: string[]; to: string; thread?: string; onToChange: (to: string, thread?: string) => void }
>(function Composer({ agents, to, thread, onToChange }, ref) {
  const [body, setBody] = useState('');
  const [error, setError] = useState<string | null>(null);
  // Sent, but the database could not take it (disk full): said here, not only in the header.
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // The recipients' suggestions (one <option> per agent, hundreds on a relay that has run a while) are
  // made when the box is first focused, where the browser shows them, not in the page's first render.
  const [suggest, setSuggest] = useState(false);

  async function send() {
    if (!body.trim() || !to.trim()) {
      setError(!to.trim() ? 'Choose who to write to.' : null);
      return;
    }
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      const sent = await apiFetch<{ persisted?: boolean }>('/api/messages', { method: 'POST', json: { to: to.trim(), body, ...(thread ? { thread } : {}) } });
      if (sent?.persisted === false) setNotice('Sent, but not stored: the disk is full. It is kept in memory and written when space returns (lost if the relay stops first).');
      setBody('');
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form
      className="shrink-0 border-t border-ink-700 bg-ink-900 p-2.5"
      onSubmit={(e) => {
        e.preventDefault();
        void send();
      }}
      data-testid="composer"
    >
      <div className="mb-1.5 flex items-center gap-1.5 text-[11px] text-ink-400">
        <label htmlFor="composer-to">To</label>
        <input
          id="composer-to"
          list="composer-agents"
          value={to}
          onChange={(e) => onToChange(e.target.value)}
          onFocus={() => setSuggest(true)}
          className="w-32 rounded border border-ink-700 bg-ink-950 px-1.5 py-0.5 font-mono text-[11px] text-ink-100 focus:border-accent/60 focus:outline-none"
          data-testid="composer-to"
          spellCheck={false}
        />
        <datalist id="composer-agents">
          <option value="*">everyone</option>
          {suggest && agents.map((a) => <option key={a} value={a} />)}
        </datalist>
        {thread && (
          <button type="button" className="rounded bg-ink-700 px-1 font-mono text-[10px] text-ink-300" onClick={() => onToChange(to)} title="Leave thread">
            #{thread} ✕
          </button>
        )}
        <span className="ml-auto text-ink-500">as Dashboard</span>
      </div>
      <div className="flex items-end gap-1.5">
        <textarea
          ref={ref}
          value={body}
          onChange={(e) => setBody(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && !e.shiftKey) {
              e.preventDefault();
              void send();
            }
            if (e.key === 'Escape') (e.target as HTMLTextAreaElement).blur();
          }}
          rows={2}
          placeholder={to === '*' ? 'Message everyone…' : `Message ${to || '…'}`}
          aria-label="Message"
          className="min-h-[2.5rem] flex-1 resize-none rounded-md border border-ink-700 bg-ink-950 px-2.5 py-1.5 text-xs text-ink-100 placeholder:text-ink-500 focus:border-accent/60 focus:outline-none"
          data-testid="composer-body"
        />
        <button
          type="submit"
          disabled={busy || !body.trim()}
          className="rounded-md bg-accent px-3 py-2 text-xs font-semibold text-ink-950 transition hover:brightness-110 disabled:opacity-40"
          data-testid="composer-send"
        >
          Send
        </button>
      </div>
      {error && (
        <p className="mt-1 text-[11px] text-dead" role="alert" data-testid="composer-error">
          {error}
        </p>
      )}
      {notice && (
        <p className="mt-1 text-[11px] text-attn" role="status" data-testid="composer-notice">
          {notice}
        </p>
      )}
    </form>
  );
});
