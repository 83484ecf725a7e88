import type { WorkerContext } from './types';

/**
 * What an agent is told about itself when it starts (Claude Code: `--append-system-prompt`; other
 * CLIs through their own instruction mechanism, never a file in the user's repository): its name,
 * who else is there, and the two ways to reach them.
 */
export function identityText(worker: WorkerContext, options: { mcp: boolean }): string {
  const lines = [
    `You are "${worker.name}", one of several agents working side by side on agent-relay.`,
    worker.peers.length
      ? `Other agents on the relay when you started: ${worker.peers.join(', ')}.`
      : 'No other agents were on the relay when you started.',
    ...(worker.spawnerName ? [`You were started by "${worker.spawnerName}".`] : []),
  ];
  if (options.mcp) {
    lines.push(
      'To message another agent, call the agent-relay tool relay_send with `to` (its name) and `message`. ' +
        'relay_who lists the agents now, relay_inbox reads your messages, relay_workers / relay_spawn / relay_release manage workers.',
    );
  }
  lines.push(
    `${options.mcp ? 'Without the tools, you' : 'You'} can also send a message by writing a line of its own: ->relay:<Name> <message> (for example "->relay:Bob the tests pass").`,
    'Messages for you arrive typed into your prompt as "Relay message from <Name> [<id>]: <text>"; answer the sender with relay_send or a ->relay: line.',
  );
  return lines.join('\n');
}
