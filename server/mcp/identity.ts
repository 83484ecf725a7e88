import { isValidName } from '../../lib/protocol/names';

/**
 * RELAY_AGENT_NAME (or AGENT_RELAY_NAME, which workers also get), else `mcp-<pid>`. Terminal mode when
 * the agent's own terminal is its delivery channel: a worker or `agent-relay run` sets AGENT_RELAY_OUTBOX.
 */
export function identityFromEnv(env: NodeJS.ProcessEnv, pid = process.pid): { agentName: string; terminalMode: boolean } {
  const named = env.RELAY_AGENT_NAME || env.AGENT_RELAY_NAME;
  const agentName = named && isValidName(named) ? named : `mcp-${pid}`;
  return { agentName, terminalMode: Boolean(named && env.AGENT_RELAY_OUTBOX) };
}

