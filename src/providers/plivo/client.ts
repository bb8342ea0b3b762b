/**
 * Plivo calls under `/v1/Account/{auth_id}/` with HTTP Basic `auth_id:auth_token`: test
 * connection fetches the Account, send posts a JSON Message (`src`, `dst`, `text`, and `url` with
 * `method` POST: the integration's webhook URL, where Plivo posts the message's status). Error
 * bodies are `{"api_id", "error"}` (plivo-php's MessageCreateErrorResponse; a 401 may lack
 * `api_id` or be plain text).
 */
import {
  basicAuth,
  errorFrom,
  field,
  type OutboundMessage,
  type ProviderContext,
  ProviderError,
  type ProviderResponse,
  request,
  type SendResult,
  secret,
  setting,
  type TestResult,
} from "../runtime.ts";

/** The Auth ID and the Basic header built from it and the Auth Token. */
function account(ctx: ProviderContext) {
  const authId = setting(ctx, "auth_id");
  const authorization = basicAuth(authId, secret(ctx, "auth_token"));
  return { path: `/v1/Account/${encodeURIComponent(authId)}/`, authorization };
}

function failure(res: ProviderResponse): ProviderError {
  const error = field(res.data, "error");
  const reason =
    typeof error === "string" && error
      ? error
      : res.status === 401
        ? "the Auth ID or Auth Token was refused"
        : "unexpected answer";
  return errorFrom(res, `Plivo: ${reason}`);
}

export async function test(ctx: ProviderContext): Promise<TestResult> {
  const { path, authorization } = account(ctx);
  // UNCONFIRMED (providers.md §4): bad credentials give 401.
  const res = await request(ctx, { path, headers: { authorization } });
  if (res.status !== 200) throw failure(res);
  const authId = String(field(res.data, "auth_id") ?? setting(ctx, "auth_id"));
  const name = field(res.data, "name");
  const credits = field(res.data, "cash_credits");
  const label = typeof name === "string" && name ? `"${name}" (${authId})` : authId;
  return {
    message: `Connected to Plivo account ${label}${credits !== undefined ? `, credits ${String(credits)}` : ""}`,
    details: { auth_id: authId, account_type: field(res.data, "account_type"), cash_credits: credits },
  };
}

export async function send(ctx: ProviderContext, msg: OutboundMessage): Promise<SendResult> {
  const { path, authorization } = account(ctx);
  const res = await request(ctx, {
    method: "POST",
    path: `${path}Message/`,
    headers: { authorization },
    json: {
      src: setting(ctx, "from_phone_number"),
      dst: msg.to,
      text: msg.text ?? "",
      ...(ctx.webhookUrl ? { url: ctx.webhookUrl, method: "POST" } : {}),
    },
  });
  // UNCONFIRMED (providers.md §4): success is 202; any 2xx with a message_uuid is taken.
  if (res.status < 200 || res.status >= 300) throw failure(res);
  const uuids = field(res.data, "message_uuid");
  const first = Array.isArray(uuids) ? uuids[0] : undefined;
  if (typeof first !== "string" || !first) {
    // Plivo lists refused destinations in `invalid_number` and queues nothing for them.
    const invalid = field(res.data, "invalid_number");
    const reason = Array.isArray(invalid) && invalid.length ? "invalid destination number" : "nothing queued";
    throw new ProviderError("permanent", `Plivo: ${reason} (HTTP ${res.status})`, { status: res.status });
  }
  return { providerMessageId: first };
}
