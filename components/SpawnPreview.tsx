'use client';
import { useEffect, useState } from 'react';
import type { SpawnResolution } from '../lib/protocol';
import { ApiError, apiFetch } from '../client/api';

/**
 * The command a spawn would run, resolved by the server with the same code the spawn uses (so what
 * is shown is what runs), or the error the spawn would give (an executable not found, Claude Code
 * refusing root). Asked again 250 ms after the form stops changing.
 */
export function useSpawnPreview(body: Record<string, unknown> | undefined): { resolution?: SpawnResolution; error?: ApiError | Error } {
  const [state, setState] = useState<{ resolution?: SpawnResolution; error?: ApiError | Error }>({});
  const key = body ? JSON.stringify(body) : '';
  useEffect(() => {
    if (!key) {
      setState({});
      return;
    }
    let live = true;
    const timer = setTimeout(() => {
      apiFetch<SpawnResolution>('/api/spawn/resolve', { method: 'POST', json: JSON.parse(key) }).then(
        (resolution) => live && setState({ resolution }),
        (error: ApiError | Error) => live && setState({ error }),
      );
    }, 250);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [key]);
  return state;
}

export function SpawnPreview({ resolution, error }: { resolution?: SpawnResolution; error?: ApiError | Error }) {
  if (error) {
    return (
      <p className="whitespace-pre-wrap rounded-md border border-dead/40 bg-dead/10 px-3 py-2 text-xs text-dead" role="status" data-testid="spawn-preview-error">
        {error.message}
      </p>
    );
  }
  if (!resolution) return null;
  return (
    <div className="space-y-1">
      <p className="text-[11px] font-medium uppercase tracking-wider text-ink-400">Runs</p>
      <pre
        className="max-h-28 overflow-auto whitespace-pre-wrap break-all rounded-md border border-ink-700 bg-ink-950 px-2.5 py-1.5 font-mono text-[11px] leading-snug text-ink-300"
        data-testid="spawn-command-line"
      >
        {resolution.commandLine}
      </pre>
      {resolution.agent && (
        <p className="text-[11px] text-ink-500" data-testid="spawn-preview-agent">
          {resolution.agent}
          {resolution.mcp ? ', with the relay tools (MCP)' : ''}
          {resolution.skipPermissions && resolution.permissionFlags.length ? ', permission prompts skipped' : ''}
        </p>
      )}
    </div>
  );
}
