'use client';
import { formatBytes, formatDuration } from '../client/format';
import { useStatus, useWorkers } from '../client/queries';
import { useNow } from '../client/useNow';
import { useSocketState } from '../client/useSocketState';

function Figure({ label, value, testId, title }: { label: string; value: string | number; testId: string; title?: string }) {
  return (
    <div className="flex items-baseline gap-1.5" title={title}>
      <span className="font-mono text-sm font-semibold tabular-nums text-ink-100" data-testid={testId}>
        {value}
      </span>
      <span className="text-[11px] uppercase tracking-wider text-ink-400">{label}</span>
    </div>
  );
}

const plural = (n: number, word: string) => (n === 1 ? word : `${word}s`);


/** Storage that cannot write (disk full) or a disk about to be: said in the header, not hidden in a log. */
function storageProblem(data: NonNullable<ReturnType<typeof useStatus>['data']>): { text: string; detail: string } | undefined {
  const { storage, disk } = data;
  const free = disk ? `${formatBytes(disk.freeBytes)} free of ${formatBytes(disk.totalBytes)} in ${disk.path}` : 'free space unknown';
  if (!storage.canWrite) {
    return {
      text: `Storage cannot write: ${storage.lastWriteError ?? 'writes fail'}`,
      detail: `${storage.heldWrites ?? 0} writes (messages, records) are held in memory and retried every second; they are lost if the relay stops first. ${free}.`,
    };
  }
  if (storage.droppedWrites) return { text: `${storage.droppedWrites} writes were given up (disk full)`, detail: free };
  if (disk && disk.freeBytes < 1024 * 1024) return { text: `Disk full: ${formatBytes(disk.freeBytes)} free`, detail: `Output logs stop being written. ${free}.` };
  return undefined;
}

/** Live daemon figures from GET /api/status plus the state of the realtime link. */
export function DaemonStatus() {
  const status = useStatus();
  const link = useSocketState();
  const now = useNow();
  const data = status.data;
  // Counted from the same list the sidebar shows, so the header and the list always agree; the
  // daemon's STATUS counts live workers only.
  const workers = useWorkers().data;
  const exited = workers?.filter((w) => w.status === 'exited').length ?? 0;
  const running = workers ? workers.length - exited : (data?.workerCount ?? 0);
  // STATUS uptime is in milliseconds (as the v1 clients read it).
  const uptimeMs = data ? data.uptime + (now - data.fetchedAt) : 0;
  const live = link.state === 'connected' && !status.isError;
  const label = status.isError
    ? status.error.message
    : link.state === 'connected'
      ? 'live'
      : link.state === 'connecting'
        ? 'connecting…'
        : `offline${link.error ? `: ${link.error}` : ''}`;

  const storageAlert = data ? storageProblem(data) : undefined;

  return (
    <div className="flex min-w-0 items-center gap-5" data-testid="daemon-status" data-state={live ? 'live' : link.state}>
      {storageAlert && (
        <span
          className="truncate rounded-full border border-dead/40 bg-dead/10 px-2 py-0.5 text-[11px] font-medium text-dead"
          role="alert"
          title={storageAlert.detail}
          data-testid="storage-alert"
        >
          {storageAlert.text}
        </span>
      )}
      <div className="flex min-w-0 items-center gap-2" title={label}>
        <span
          className={`dot-live inline-block h-2 w-2 shrink-0 rounded-full ${live ? 'bg-run text-run/40' : status.isError ? 'bg-dead' : 'bg-attn'}`}
        />
        <span className={`truncate text-xs ${live ? 'text-ink-300' : 'text-attn'}`} data-testid="daemon-link">
          {label}
        </span>
      </div>
      {data && (
        <div className="hidden items-center gap-5 sm:flex">
          <Figure label={plural(data.agentCount, 'agent')} value={data.agentCount} testId="status-agents" title="Agents connected to the relay" />
          <div className="flex items-baseline gap-1.5">
            <Figure label={plural(running, 'worker')} value={running} testId="status-workers" title="Workers running now" />
            {exited > 0 && (
              <span className="text-[11px] uppercase tracking-wider text-ink-500" title="Exited workers still listed (the Exited filter clears them)">
                · <span className="font-mono text-sm font-semibold tabular-nums text-ink-300" data-testid="status-exited">{exited}</span> exited
              </span>
            )}
          </div>
          <Figure label="uptime" value={formatDuration(uptimeMs)} testId="status-uptime" />
          <span className="hidden font-mono text-[11px] text-ink-500 lg:inline" title={data.socketPath}>
            v{data.version} · {data.storage.driver}
          </span>
        </div>
      )}
    </div>
  );
}
