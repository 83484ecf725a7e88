/**
 * The scripted model every fake model server answers from (Anthropic here; OpenAI Responses and
 * Gemini servers sit beside it and reuse this). A server turns its API's request into a
 * `ModelRequest` (what a script needs to decide), asks the script for a `Turn` (text and/or tool
 * calls), and writes that turn in its API's wire format. Every request, answered or not, goes to a
 * `RequestLog`, so a test can assert "the model received X" and wait for it.
 */

export interface ToolCall {
  name: string;
  input: Record<string, unknown>;
}

export interface Turn {
  text?: string;
  toolCalls?: ToolCall[];
  /** Hold the answer back this long (the agent shows itself busy meanwhile). */
  delayMs?: number;
  /**
   * Hold the answer back until this settles (then `delayMs`): a step of the test that must happen
   * first, e.g. a person holding deliveries in the dashboard before the message it holds is sent.
   */
  after?: Promise<unknown>;
}

/** Waits as the turn asks before its answer is written (`after`, then `delayMs`). */
export async function holdBack(turn: Turn): Promise<void> {
  if (turn.after) await turn.after;
  if (turn.delayMs) await new Promise((r) => setTimeout(r, turn.delayMs));
}

export interface ModelRequest {
  /** Which API the request came in on. */
  api: 'anthropic' | 'openai' | 'gemini';
  model?: string;
  /** The system prompt / instructions, all parts joined. */
  system: string;
  /** Names of the tools offered (empty for side requests such as titles). */
  tools: string[];
  /** Text of the last user message (its text parts, joined), without tool results. */
  lastUserText: string;
  /** Tool results in the last user message, oldest first. */
  toolResults: Array<{ name?: string; text: string; isError?: boolean }>;
  /** Every text the conversation holds (all roles), for "has the model ever seen X". */
  transcript: string;
}

export interface Rule {
  /** Shown in failures and in the log. */
  name: string;
  when(request: ModelRequest): boolean;
  reply: Turn | ((request: ModelRequest) => Turn);
  /** Answer at most this many times (default: every time it matches). */
  times?: number;
}

export class ModelScript {
  private readonly rules: Array<Rule & { used: number }> = [];

  constructor(rules: Rule[] = [], private readonly fallback: (request: ModelRequest) => Turn = defaultTurn) {
    for (const rule of rules) this.add(rule);
  }

  add(rule: Rule): this {
    this.rules.push({ ...rule, used: 0 });
    return this;
  }

  /** The first rule that matches and has uses left; else the fallback. */
  answer(request: ModelRequest): { turn: Turn; rule?: string } {
    for (const rule of this.rules) {
      if (rule.times !== undefined && rule.used >= rule.times) continue;
      if (!rule.when(request)) continue;
      rule.used++;
      return { turn: typeof rule.reply === 'function' ? rule.reply(request) : rule.reply, rule: rule.name };
    }
    return { turn: this.fallback(request) };
  }
}

/** Side requests (no tools) get a short text; after tool results the turn ends; else a plain acknowledgement. */
export function defaultTurn(request: ModelRequest): Turn {
  if (request.tools.length === 0) return { text: 'Relay session' };
  if (request.toolResults.length > 0) return { text: 'Done.' };
  return { text: 'OK.' };
}

/** Rule helpers for the common cases. */
export const when = {
  /** A main-loop request (tools offered) whose last user message contains `text`. */
  userSays: (text: string) => (r: ModelRequest) => r.tools.length > 0 && r.toolResults.length === 0 && r.lastUserText.includes(text),
  /** A main-loop request carrying the result of tool `name`. */
  toolResult: (name: string) => (r: ModelRequest) => r.toolResults.some((t) => t.name === name),
};

export interface LoggedRequest {
  at: number;
  method: string;
  /** Path with query string, as received. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  /** Set for model calls the script answered. */
  request?: ModelRequest;
  turn?: Turn;
  rule?: string;
  status: number;
}

export class RequestLog {
  readonly entries: LoggedRequest[] = [];
  private waiters = new Set<() => void>();

  push(entry: LoggedRequest): void {
    this.entries.push(entry);
    for (const wake of [...this.waiters]) wake();
  }

  /** Model calls only (the script answered them). */
  get modelCalls(): Array<LoggedRequest & { request: ModelRequest }> {
    return this.entries.filter((e): e is LoggedRequest & { request: ModelRequest } => e.request !== undefined);
  }

  /** Resolves with the first model call matching `predicate` (already logged or still to come). */
  waitForCall(predicate: (r: ModelRequest) => boolean, timeoutMs: number, what = 'a matching model request'): Promise<ModelRequest> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const hit = this.modelCalls.find((e) => predicate(e.request));
        if (!hit) return false;
        cleanup();
        resolve(hit.request);
        return true;
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${what}. The model received:\n${this.describe()}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      if (!check()) this.waiters.add(check);
    });
  }

  /** One line per request, for failure messages. */
  describe(): string {
    if (this.entries.length === 0) return '  (nothing)';
    return this.entries
      .map((e) => {
        const r = e.request;
        if (!r) return `  ${e.method} ${e.url} -> ${e.status}`;
        const said = r.toolResults.length ? `tool results: ${r.toolResults.map((t) => `${t.name}: ${t.text.slice(0, 80)}`).join('; ')}` : `user: ${JSON.stringify(r.lastUserText.slice(-160))}`;
        const answer = [e.turn?.text ? `text ${JSON.stringify(e.turn.text.slice(0, 80))}` : '', ...(e.turn?.toolCalls ?? []).map((c) => `call ${c.name}`)].filter(Boolean).join(', ');
        return `  ${e.method} ${e.url} [${r.tools.length} tools] ${said} -> ${answer}${e.rule ? ` (${e.rule})` : ''}`;
      })
      .join('\n');
  }
}
