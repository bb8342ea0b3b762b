/**
 * Simulated Telegram Bot API: getMe, sendMessage, and the webhook methods (setWebhook,
 * getWebhookInfo, deleteWebhook; what was set is remembered per bot), token in the path,
 * Telegram's error bodies.
 */
import { deliver, hang, isInvalidCredential, readBody, scenario, simulator } from "../lib.ts";

export const telegram = simulator();

const TOKEN_RE = /^[0-9]+:[A-Za-z0-9_-]+$/;
const fail = (error_code: number, description: string, extra: Record<string, unknown> = {}) =>
  Response.json({ ok: false, error_code, description, ...extra }, { status: error_code });

interface BotWebhook {
  url: string;
  secretToken?: string;
  allowedUpdates?: string[];
  maxConnections: number;
}

/** What setWebhook set, by bot token. */
const webhooks = new Map<string, BotWebhook>();

const SECRET_TOKEN_RE = /^[A-Za-z0-9_-]{1,256}$/;
const WEBHOOK_PORTS = new Set(["", "443", "80", "88", "8443"]);

/** The method's parameters: the query string, then a JSON or form body (Telegram takes all three). */
async function params(req: Request): Promise<Record<string, unknown> | null> {
  const query = Object.fromEntries(new URL(req.url).searchParams);
  if (req.method !== "POST") return query;
  const parsed = await readBody(req);
  if (!parsed) return null;
  return { ...query, ...parsed.params };
}

const WEBHOOK_METHODS: Record<string, true> = { setWebhook: true, getWebhookInfo: true, deleteWebhook: true };

async function webhookMethod(method: string, token: string, req: Request): Promise<Response> {
  const p = await params(req);
  if (!p) return fail(400, "Bad Request: can't parse JSON object");
  if (method === "getWebhookInfo") {
    const hook = webhooks.get(token);
    return Response.json({
      ok: true,
      result: {
        url: hook?.url ?? "",
        has_custom_certificate: false,
        pending_update_count: 0,
        ...(hook ? { max_connections: hook.maxConnections, ip_address: "198.51.100.7" } : {}),
        ...(hook?.allowedUpdates ? { allowed_updates: hook.allowedUpdates } : {}),
      },
    });
  }
  if (method === "deleteWebhook") {
    const had = webhooks.delete(token);
    return Response.json({
      ok: true,
      result: true,
      description: had ? "Webhook was deleted" : "Webhook is already deleted",
    });
  }
  const url = typeof p.url === "string" ? p.url : "";
  if (!url) {
    const had = webhooks.delete(token);
    return Response.json({
      ok: true,
      result: true,
      description: had ? "Webhook was deleted" : "Webhook is already deleted",
    });
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return fail(400, "Bad Request: bad webhook: Failed to resolve host: Name or service not known");
  }
  if (parsed.protocol !== "https:")
    return fail(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook");
  if (!WEBHOOK_PORTS.has(parsed.port))
    return fail(400, "Bad Request: bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443");
  const secretToken = p.secret_token;
  if (secretToken !== undefined && (typeof secretToken !== "string" || !SECRET_TOKEN_RE.test(secretToken)))
    return fail(400, "Bad Request: bad webhook: Secret token contains unallowed characters");
  let allowed = p.allowed_updates;
  if (typeof allowed === "string") {
    try {
      allowed = JSON.parse(allowed);
    } catch {
      return fail(400, "Bad Request: can't parse allowed updates");
    }
  }
  const previous = webhooks.get(token);
  webhooks.set(token, {
    url,
    ...(typeof secretToken === "string" ? { secretToken } : {}),
    ...(Array.isArray(allowed) ? { allowedUpdates: allowed.map(String) } : {}),
    maxConnections: Number(p.max_connections ?? 40) || 40,
  });
  return Response.json({
    ok: true,
    result: true,
    description: previous?.url === url ? "Webhook is already set" : "Webhook was set",
  });
}

telegram.on(["GET", "POST"], "/:bot/:method", async (c) => {
  const bot = c.req.param("bot");
  if (!bot.startsWith("bot")) return fail(404, "Not Found");
  const token = bot.slice(3);
  if (!TOKEN_RE.test(token) || isInvalidCredential(token)) return fail(401, "Unauthorized");
  const method = c.req.param("method");
  if (method in WEBHOOK_METHODS) return webhookMethod(method, token, c.req.raw);
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
