'use client';
import type { WorkerInfo } from '../lib/protocol/workers';

/** The node a worker runs on (cluster, docs/cluster.md); dimmed with a note while that node is not heard from. */
export function NodeBadge({ worker, testId }: { worker: WorkerInfo; testId: string }) {
  const away = worker.nodeReachable === false;
  return (
    <span
      className={`rounded px-1 font-mono text-[10px] ${away ? 'bg-dead/15 text-dead' : 'bg-accent/10 text-accent'}`}
      title={away ? `node ${worker.node} is not reachable: figures are the last ones known` : `runs on node ${worker.node}`}
      data-testid={testId}
      data-reachable={away ? 'false' : 'true'}
    >
      @{worker.node}
      {away ? ' (unreachable)' : ''}
    </span>
  );
}
