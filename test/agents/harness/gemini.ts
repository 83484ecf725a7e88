import { openSse, sendJson, startModelServer, type ModelServer, type Route } from './http';
import { ModelScript, type ModelRequest, holdBack, type Turn } from './script';

/**
 * Enough of the Gemini API for Gemini CLI (GOOGLE_GEMINI_BASE_URL, any GEMINI_API_KEY; measured with
 * 0.61.0, docs/agents.md#gemini-cli): `POST /v1beta/models/<model>:streamGenerateContent?alt=sse` for
 * the main loop (SSE `data:` lines of GenerateContentResponse), `:generateContent` for side requests
 * (the "Auto" model router asks a flash-lite model for a JSON complexity score first), `:countTokens`.
 * A side request that asks for JSON (`responseJsonSchema`) gets an object of that shape, so the
 * router and friends are satisfied without a script rule; everything else asks the script.
 */

interface GeminiPart {
  text?: string;
  thought?: boolean;
  functionCall?: { name: string; args?: Record<string, unknown>; id?: string };
  functionResponse?: { name?: string; response?: Record<string, unknown>; id?: string };
}
interface GeminiContent {
  role?: string;
  parts?: GeminiPart[];
}
interface JsonSchema {
  type?: string;
  properties?: Record<string, JsonSchema>;
  enum?: unknown[];
}
interface GeminiBody {
  contents?: GeminiContent[];
  systemInstruction?: GeminiContent | string;
  tools?: Array<{ functionDeclarations?: Array<{ name: string }> }>;
  generationConfig?: { responseMimeType?: string; responseJsonSchema?: JsonSchema; responseSchema?: JsonSchema };
}

const textParts = (content: GeminiContent | undefined): string[] =>
  (content?.parts ?? []).filter((p) => typeof p.text === 'string' && !p.thought).map((p) => p.text as string);

/** Gemini CLI opens a conversation with a `<session_context>` part (date, OS, directory tree); not the user's words. */
const isSessionContext = (text: string) => text.startsWith('<session_context>');

/** What a script needs from a generateContent body. */
export function geminiRequest(body: GeminiBody, model: string | undefined): ModelRequest {
  const contents = body.contents ?? [];
  const last = [...contents].reverse().find((c) => c.role === 'user');
  const system = typeof body.systemInstruction === 'string' ? body.systemInstruction : textParts(body.systemInstruction).join('\n');
  return {
    api: 'gemini',
    model,
    system,
    tools: (body.tools ?? []).flatMap((t) => (t.functionDeclarations ?? []).map((f) => f.name)),
    lastUserText: textParts(last).filter((t) => !isSessionContext(t)).join('\n'),
    toolResults: (last?.parts ?? [])
      .filter((p) => p.functionResponse)
      .map((p) => {
        const response = p.functionResponse?.response ?? {};
        return { name: p.functionResponse?.name, text: JSON.stringify(response), ...(response.error !== undefined ? { isError: true } : {}) };
      }),
    transcript: contents.flatMap((c) => textParts(c)).join('\n'),
  };
}

/** A value of the requested shape (the model router wants `{complexity_reasoning, complexity_score}`). */
export function valueForSchema(schema: JsonSchema | undefined): unknown {
  const type = String(schema?.type ?? '').toLowerCase();
  if (schema?.enum?.length) return schema.enum[0];
  if (type === 'object') return Object.fromEntries(Object.entries(schema?.properties ?? {}).map(([k, v]) => [k, valueForSchema(v)]));
  if (type === 'array') return [];
  if (type === 'integer' || type === 'number') return 1;
  if (type === 'boolean') return false;
  return 'scripted';
}

function partsOf(turn: Turn): GeminiPart[] {
  const parts: GeminiPart[] = [];
  if (turn.text) parts.push({ text: turn.text });
  for (const call of turn.toolCalls ?? []) parts.push({ functionCall: { name: call.name, args: call.input } });
  return parts;
}

const usageMetadata = { promptTokenCount: 100, candidatesTokenCount: 20, totalTokenCount: 120 };

const response = (parts: GeminiPart[], model: string | undefined, last = true) => ({
  candidates: [{ content: { role: 'model', parts }, ...(last ? { finishReason: 'STOP' } : {}), index: 0 }],
  usageMetadata,
  modelVersion: model ?? 'gemini-scripted',
});

const MODEL_PATH = /^\/v1(?:beta|alpha|)\/models\/([^/:]+):(streamGenerateContent|generateContent|countTokens)$/;

const generateRoute: Route = {
  method: 'POST',
  path: MODEL_PATH,
  async handle({ res, url, body, script, note }) {
    const [, model, method] = MODEL_PATH.exec(url.pathname) ?? [];
    const b = (body ?? {}) as GeminiBody;
    if (method === 'countTokens') {
      sendJson(res, 200, { totalTokens: 100 });
      return;
    }
    const request = geminiRequest(b, model);
    const schema = b.generationConfig?.responseJsonSchema ?? b.generationConfig?.responseSchema;
    let turn: Turn;
    if (request.tools.length === 0 && (schema || b.generationConfig?.responseMimeType === 'application/json')) {
      turn = { text: JSON.stringify(valueForSchema(schema)) };
      note({ request, turn, rule: 'json side request' });
    } else {
      const answered = script.answer(request);
      turn = answered.turn;
      note({ request, turn, rule: answered.rule });
    }
    await holdBack(turn);
    const parts = partsOf(turn);
    if (method === 'generateContent') {
      sendJson(res, 200, response(parts, model));
      return;
    }
    // One event per part, as the real API streams them; the last carries the finish reason.
    const sse = openSse(res);
    parts.forEach((part, i) => sse.send(undefined, response([part], model, i === parts.length - 1)));
    if (parts.length === 0) sse.send(undefined, response([{ text: '' }], model));
    sse.end();
  },
};

export const GEMINI_ROUTES: Route[] = [generateRoute];

/** A scripted Gemini endpoint; point Gemini CLI at it with `GOOGLE_GEMINI_BASE_URL=<url>` and any GEMINI_API_KEY. */
export function startGeminiServer(script = new ModelScript()): Promise<ModelServer> {
  return startModelServer(GEMINI_ROUTES, script);
}
