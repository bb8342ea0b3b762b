/**
 * SQL Account API Service calls: JSON over HTTPS, signed with AWS Signature V4 using the API
 * user's access key and secret key. Test connection is `GET /agent` (the sales-agent list), the
 * cheap authenticated call of SQL's own Postman walkthrough.
 *
 * Signing follows SQL's official Node sample: only `host;x-amz-date` are signed, and
 * `x-amz-content-sha256` (hex SHA-256 of the body) is sent unsigned. Region and service come
 * from the integration because the sources disagree (ap-southeast-1/execute-api in SQL's
 * samples, ap-southeast-5/sqlaccount in current clients); whether the server checks them is
 * UNCONFIRMED.
 */
import { AwsV4Signer } from "aws4fetch";
import {
  buildRequest,
  errorFrom,
  field,
  type ProviderContext,
  type ProviderError,
  type ProviderResponse,
  type RequestOptions,
  secret,
  send,
  setting,
  type TestResult,
} from "../runtime.ts";

export const DEFAULT_REGION = "ap-southeast-5";
export const DEFAULT_SERVICE = "sqlaccount";

export interface SigningKey {
  /** `<32 hex>.sql.my/<USERCODE>`: it contains `/` and goes verbatim into `Credential=`. */
  accessKey: string;
  secretKey: string;
  region: string;
  service: string;
}

function signingKey(ctx: ProviderContext): SigningKey {
  const opt = (name: string, fallback: string) => {
    const v = ctx.config[name];
    return typeof v === "string" && v ? v : fallback;
  };
  return {
    accessKey: setting(ctx, "access_key"),
    secretKey: secret(ctx, "api_key"),
    region: opt("region", DEFAULT_REGION),
    service: opt("service", DEFAULT_SERVICE),
  };
}

/**
 * Signs a request the way SQL's Node sample does. `datetime` (YYYYMMDDTHHMMSSZ) is for tests.
 * Only host and x-amz-date are signed; the request's other headers are sent unsigned.
 */
export async function signRequest(req: Request, key: SigningKey, datetime?: string): Promise<Request> {
  const body = req.body ? await req.clone().text() : "";
  const signer = new AwsV4Signer({
    method: req.method,
    url: req.url,
    headers: {},
    body,
    accessKeyId: key.accessKey,
    secretAccessKey: key.secretKey,
    region: key.region,
    service: key.service,
    ...(datetime ? { datetime } : {}),
  });
  const payloadHash = await signer.hexBodyHash();
  const signed = await signer.sign();
  const headers = new Headers(req.headers);
  for (const [name, value] of signed.headers) headers.set(name, value);
  headers.set("x-amz-content-sha256", payloadHash);
  return new Request(signed.url, { method: req.method, headers, body: body || undefined });
}

/** A signed call to the API Service. */
export async function sqlRequest(ctx: ProviderContext, opts: RequestOptions): Promise<ProviderResponse> {
  return send(ctx, await signRequest(buildRequest(ctx, opts), signingKey(ctx)));
}

/**
 * Bad keys are refused with 401 or 403; the body is UNCONFIRMED. The service sits behind an
 * API-Gateway-style SigV4 front, so the reason is read from `message` (or an `error` field).
 */
export function failure(res: ProviderResponse): ProviderError {
  const reason =
    field(res.data, "message") ??
    field(res.data, "Message") ??
    field(res.data, "error", "message") ??
    field(res.data, "error");
  const text = typeof reason === "string" ? reason.replace(/\.$/, "") : "unexpected answer";
  return errorFrom(res, `SQL Account: ${text}`);
}

export async function test(ctx: ProviderContext): Promise<TestResult> {
  const res = await sqlRequest(ctx, { path: "/agent" });
  if (res.status !== 200) throw failure(res);
  // The access key ends with the API user's code: <32 hex>.sql.my/<USERCODE>.
  const user = setting(ctx, "access_key").split("/").pop();
  const agents = field(res.data, "data");
  return {
    message: `Connected to SQL Account as API user ${user}`,
    details: { api_user: user, agents: Array.isArray(agents) ? agents.length : undefined },
  };
}
