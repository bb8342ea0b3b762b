/** Simulated Telegram Bot API: getMe and sendMessage, token in the path, Telegram's error bodies. */
import { deliver, hang, isInvalidCredential, readBody, scenario, simulator } from "../lib.ts";

export const telegram = simulator();

const TOKEN_RE = /^[0-9]+:[A-Za-z0-9_-]+$/;
const fail = (error_code: number, description: string, extra: Record<string, unknown> = {}) =>
  Response.json({ ok: false, error_code, description, ...extra }, { status: error_code });

telegram.on(["GET", "POST"], "/:bot/:method", async (c) => {
  const bot = c.req.param("bot");
  if (!bot.startsWith("bot")) return fail(404, "Not Found");
  const token = bot.slice(3);
  if (!TOKEN_RE.test(token) || isInvalidCredential(token)) return fail(401, "Unauthorized");
  const method = c.req.param("method");
  if (method === "getMe") {
    return Response.json({
      ok: true,
      result: {
        id: Number(token.split(":")[0]),
        is_bot: true,
        first_name: "Sandbox Bot",
        username: "sandbox_bot",
      },
    });
  }
  if (method !== "sendMessage") return fail(404, "Not Found: method not found");
  if (c.req.method !== "POST") return fail(400, "Bad Request: use POST");
  const parsed = await readBody(c.req.raw);
  if (!parsed) return fail(400, "Bad Request: can't parse JSON object");
  if (parsed.encoding === "other") return fail(400, "Bad Request: message text is empty");
  const body = parsed.params;
  const chatId = body.chat_id;
  if (chatId === undefined || chatId === "") return fail(400, "Bad Request: chat_id is empty");
  if (typeof body.text !== "string" || !body.text) return fail(400, "Bad Request: message text is empty");
  if (body.text.length > 4096) return fail(400, "Bad Request: message is too long");
  switch (scenario("telegram", String(chatId), body.text)) {
    case "429":
      return fail(429, "Too Many Requests: retry after 1", { parameters: { retry_after: 1 } });
    case "503":
      return fail(502, "Bad Gateway");
    case "500":
      return fail(500, "Internal Server Error");
    case "400":
      return fail(400, "Bad Request: chat not found");
    case "timeout":
      await hang();
      break;
    default:
      break;
  }
  const entry = deliver("telegram", "message", String(chatId), { chat_id: chatId, text: body.text });
  return Response.json({
    ok: true,
    result: {
      message_id: Number(entry.id.split("_").pop()),
      date: Math.floor(Date.now() / 1000),
      chat: { id: chatId },
      text: body.text,
    },
  });
});
