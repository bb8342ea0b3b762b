/**
 * Simulated Plivo: `GET /v1/Account/{auth_id}/` and `POST /v1/Account/{auth_id}/Message/`, HTTP
 * Basic `auth_id:auth_token` with the path's Auth ID, JSON bodies only, 202 "message(s) queued"
 * with `message_uuid`, and error bodies `{"api_id", "error"}` (plivo-php). UNCONFIRMED: the 401
 * status and body, the 202 success code, the 429 Retry-After and the exact `error` wordings,
 * which Plivo does not document. A send with `url` is owed its status callbacks (`sent`, then
 * `delivered`, or `undelivered`), posted as a form to that URL and signed V3 and V2 with the
 * Auth Token; the simulator posts whatever `method` says (Plivo's default is POST).
 */
import type { Context } from "hono";
import { oweCallback, undelivered } from "../callbacks.ts";
import {
  basicCredentials,
  deliver,
  hang,
  isInvalidCredential,
  readBody,
  scenario,
  simulator,
} from "../lib.ts";
import { plivo as plivoSender } from "../webhooks/plivo.ts";

export const plivo = simulator();

const AUTH_ID_RE = /^[MS]A[A-Z0-9]{18}$/;
const NUMBER_RE = /^\+?[1-9]\d{6,14}$/;

const fail = (status: number, error: string, headers?: Record<string, string>) =>
  Response.json({ api_id: crypto.randomUUID(), error }, { status, headers });

/** Null when Basic auth names the path's account with a good token; the 401 otherwise. */
function unauthorized(c: Context): Response | null {
  const authId = c.req.param("authId");
  const creds = basicCredentials(c.req.header("authorization"));
  if (creds && creds.user === authId && AUTH_ID_RE.test(authId) && !isInvalidCredential(creds.password)) {
    return null;
  }
  return Response.json({ error: "authentication failed" }, { status: 401 });
}

plivo.get("/v1/Account/:authId/", (c) => {
  const denied = unauthorized(c);
  if (denied) return denied;
  const authId = c.req.param("authId");
  return Response.json({
    api_id: crypto.randomUUID(),
    account_type: "standard",
    auth_id: authId,
    auto_recharge: false,
    billing_mode: "prepaid",
    cash_credits: "9.61875",
    name: "Sandbox Account",
    resource_uri: `/v1/Account/${authId}/`,
    state: "",
    timezone: "UTC",
  });
});

const str = (v: unknown): string | undefined => (typeof v === "string" && v ? v : undefined);

/** The validation error of a Message create, if any. */
function invalidMessage(p: Record<string, unknown>): Response | null {
  if (!str(p.src) && !str(p.powerpack_uuid)) return fail(400, "src or powerpack_uuid is required");
  if (!str(p.dst)) return fail(400, "dst is a required parameter");
  if (!str(p.text)) return fail(400, "text is a required parameter");
  if (p.url !== undefined && !/^https?:\/\/[^/\s]+/i.test(String(p.url)))
    return fail(400, "url is not valid");
  if (p.method !== undefined && p.method !== "POST" && p.method !== "GET")
    return fail(400, "method must be GET or POST");
  return null;
}

plivo.post("/v1/Account/:authId/Message/", async (c) => {
  const denied = unauthorized(c);
  if (denied) return denied;
  const body = await readBody(c.req.raw);
  if (body?.encoding !== "json") return fail(400, "the request body must be JSON");
  const params = body.params;
  const invalid = invalidMessage(params);
  if (invalid) return invalid;
  // Several destinations are joined with "<"; bad ones are listed in invalid_number, not queued.
  const dsts = String(params.dst).split("<");
  const good = dsts.filter((d) => NUMBER_RE.test(d));
  const bad = dsts.filter((d) => !NUMBER_RE.test(d));
  if (!good.length) return fail(400, `invalid dst number: ${String(params.dst)}`);
  switch (scenario("plivo", String(params.dst), String(params.text))) {
    case "429":
      return fail(429, "too many requests", { "retry-after": "1" });
    case "503":
      return fail(503, "service unavailable");
    case "500":
      return fail(500, "internal server error");
    case "400":
      return fail(400, "destination number is blocked (DND)");
    case "timeout":
      await hang();
      break;
    default:
      break;
  }
  const uuids = good.map((dst) => deliver("plivo", "sms", dst, params, crypto.randomUUID()).id);
  const callback = str(params.url);
  const token = basicCredentials(c.req.header("authorization"))?.password ?? "";
  if (callback) {
    const failed = undelivered(String(params.text));
    good.forEach((dst, i) => {
      const uuid = uuids[i] ?? "";
      oweCallback({
        provider: "plivo",
        url: callback,
        providerMessageId: uuid,
        statuses: ["sent", failed ? "undelivered" : "delivered"],
        build: (status) =>
          plivoSender.build({
            url: callback,
            secrets: { auth_token: token },
            config: { from_phone_number: String(params.src) },
            event: "status",
            data: { provider_message_id: uuid, status, to: dst, method: String(params.method ?? "POST") },
          }),
      });
    });
  }
  return Response.json(
    {
      api_id: crypto.randomUUID(),
      message: "message(s) queued",
      message_uuid: uuids,
      ...(bad.length ? { invalid_number: bad } : {}),
    },
    { status: 202 },
  );
});
