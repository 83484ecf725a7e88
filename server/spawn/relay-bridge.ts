import { join } from 'node:path';
import { RouterError, type RelayRouter } from '../router/types';
import { WorkerError, type SpawnRequest } from '../../lib/protocol';
import type { OutboxCommand } from '../relay-commands/outbox';
import { parseOutboxFile, spawnRequestOf, takeOutboxFile } from '../relay-commands/outbox';
import type { RelayCommand } from '../relay-commands/grammar.mjs';
import { logger } from '../logger';
import type { SpawnContext } from './types';

/**
 * Acts on what an agent asks for through its terminal output or its outbox: messages go to the
 * router as that agent, spawn and release go to the SpawnManager as a trusted request.
 * Failures are reported back to the agent (typed into its terminal) when it is one of our workers.
 */

export interface RelayBridgeDeps {
  router: RelayRouter;
  outboxRoot: string;
  spawn(request: SpawnRequest, context: SpawnContext): Promise<unknown>;
  release(name: string, options: { reason?: string }): Promise<unknown>;
  isLiveWorker(name: string): boolean;
  /** Tell the agent a command of its failed (typed into its terminal); undefined when it has no terminal here. */
  notify(agent: string, text: string): void;
}

export function createRelayBridge(deps: RelayBridgeDeps) {
  const chains = new Map<string, Promise<void>>();

  const run = async (agent: string, command: OutboxCommand | RelayCommand): Promise<void> => {
    try {
      switch (command.type) {
        case 'message':
          deps.router.sendAs(agent, command.to, command.body, {
            ...(command.thread ? { thread: command.thread } : {}),
            ...('kind' in command && command.kind ? { kind: command.kind as 'message' } : {}),
          });
          return;
        case 'spawn':
          await deps.spawn({ ...spawnRequestOf(command), spawnerName: agent }, { requester: agent, trusted: true, fromWorker: deps.isLiveWorker(agent) });
          return;
        case 'release':
          await deps.release(command.name, { reason: 'reason' in command ? command.reason : `released by ${agent}` });
          return;
        case 'relay-file': {
          const text = await takeOutboxFile(join(deps.outboxRoot, agent, command.id));
          if (text === undefined) {
            deps.notify(agent, `Relay error: no outbox file "${command.id}" in $AGENT_RELAY_OUTBOX; write the file before printing ->relay-file:${command.id}.`);
            return;
          }
          const parsed = parseOutboxFile(text);
          if ('error' in parsed) {
            deps.notify(agent, `Relay error: outbox file "${command.id}": ${parsed.error}`);
            return;
          }
          await run(agent, parsed);
          return;
        }
      }
    } catch (err) {
      const what = command.type === 'message' ? `message to ${command.to}` : command.type === 'relay-file' ? `relay-file ${command.id}` : `${command.type} ${command.name}`;
      const detail = err instanceof WorkerError || err instanceof RouterError ? `${err.code}: ${err.message}` : String(err);
      logger.warn({ agent, command: command.type, err: detail }, 'relay command failed');
      deps.notify(agent, `Relay error: ${what} failed (${detail})`);
    }
  };

  return {
    /** Runs an agent's commands one after another, in the order it issued them. */
    handle(agent: string, command: OutboxCommand | RelayCommand): Promise<void> {
      const next = (chains.get(agent) ?? Promise.resolve()).then(() => run(agent, command));
      chains.set(agent, next);
      void next.finally(() => {
        if (chains.get(agent) === next) chains.delete(agent);
      });
      return next;
    },
  };
}

export type RelayBridge = ReturnType<typeof createRelayBridge>;
