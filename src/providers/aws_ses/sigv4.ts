/**
 * What the Amazon SES and Amazon SNS clients share: the integration's IAM key pair and region,
 * requests signed with AWS Signature Version 4 (providers.md §5) by aws4fetch, and the mapping
 * of AWS error codes to ProviderError kinds. Each client parses its own error format (SES v2
 * answers JSON with an `x-amzn-ErrorType` header, SNS answers Query-API XML) and hands the code
 * and message to {@link awsError}.
 */
import { AwsV4Signer } from "aws4fetch";
import {
  buildRequest,
  kindForStatus,
  type ProviderContext,
  ProviderError,
  type ProviderErrorKind,
  type ProviderResponse,
  type RequestOptions,
  retryAfterSeconds,
  secret,
  send,
  setting,
} from "../runtime.ts";

/** The services signed for here; also the credential-scope service names. */
export type AwsService = "ses" | "sns";

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
}

const DEFAULT_REGION = "us-east-1";
// The same shape src/providers/base-url.ts accepts when it fills `{region}` in the endpoint.
const REGION_RE = /^[a-z0-9-]+$/;

/** The region requests are signed for; the endpoint's `{region}` is filled with the same value. */
export function awsRegion(ctx: ProviderContext): string {
  const region = ctx.config.region;
  if (region === undefined || region === null || region === "") return DEFAULT_REGION;
  if (typeof region !== "string" || !REGION_RE.test(region))
    throw new ProviderError("permanent", "the region must be an AWS region code such as us-east-1");
  return region;
}

export function awsCredentials(ctx: ProviderContext): AwsCredentials {
  return {
    accessKeyId: setting(ctx, "access_key_id").trim(),
    secretAccessKey: secret(ctx, "secret_access_key"),
    region: awsRegion(ctx),
  };
}

/**
 * Signs a request with SigV4 for `service` with the integration's key pair and region
 * (Authorization and X-Amz-Date; host, accept and x-amz-date are the signed headers).
 */
export async function signAws(ctx: ProviderContext, service: AwsService, request: Request): Promise<Request> {
  const { accessKeyId, secretAccessKey, region } = awsCredentials(ctx);
  const bytes = request.body ? await request.arrayBuffer() : undefined;
  const body = bytes?.byteLength ? bytes : undefined;
  const signer = new AwsV4Signer({
    method: request.method,
    url: request.url,
    headers: request.headers,
    body,
    accessKeyId,
    secretAccessKey,
    service,
    region,
  });
  const signed = await signer.sign();
  return new Request(signed.url, { method: signed.method, headers: signed.headers, body });
}

/**
 * Builds the request like every provider call, signs it and sends it through the context's HTTP
 * client, so whoever answers (AWS or the sandbox) sees the signed request.
 */
export async function awsRequest(
  ctx: ProviderContext,
  service: AwsService,
  opts: RequestOptions,
): Promise<ProviderResponse> {
  return send(ctx, await signAws(ctx, service, buildRequest(ctx, opts)));
}

/** Codes AWS answers when the key pair, its signature or its permissions are refused. */
const AUTH_CODES = new Set([
  "UnrecognizedClientException",
  "InvalidClientTokenId",
  "SignatureDoesNotMatch",
  "InvalidSignatureException",
  "IncompleteSignature",
  "IncompleteSignatureException",
  "MissingAuthenticationToken",
  "MissingAuthenticationTokenException",
  "ExpiredToken",
  "ExpiredTokenException",
  "AccessDenied",
  "AccessDeniedException",
  "AuthorizationError", // SNS: the key may not call this action
  "OptInRequired",
]);

/** Throttling comes as 429 (SES v2) or as 400 with a throttling code (SNS, Query APIs). */
const THROTTLE_CODES = new Set([
  "TooManyRequestsException",
  "Throttling",
  "ThrottlingException",
  "Throttled",
  "RequestLimitExceeded",
  "KMSThrottling",
]);

const TRANSIENT_CODES = new Set([
  "InternalFailure",
  "InternalError",
  "InternalErrorException",
  "ServiceUnavailable",
  "ServiceUnavailableException",
]);

/** The error kind of an AWS error: by its code first (Throttling is a 400), then by status. */
export function awsErrorKind(code: string | undefined, status: number): ProviderErrorKind {
  if (code && AUTH_CODES.has(code)) return "auth";
  if (code && THROTTLE_CODES.has(code)) return "rate_limited";
  if (code && TRANSIENT_CODES.has(code)) return "transient";
  return kindForStatus(status);
}

/**
 * A ProviderError for an AWS error answer, e.g.
 * "Amazon SES: The security token included in the request is invalid. (UnrecognizedClientException, HTTP 403)".
 */
export function awsError(
  res: ProviderResponse,
  displayName: string,
  code: string | undefined,
  message: string | undefined,
): ProviderError {
  // AWS may append the canonical request it expected after a blank line: keep the sentence only.
  const reason = message?.split("\n\n")[0]?.trim() || code || "unexpected answer";
  const detail = code && code !== reason ? `${code}, HTTP ${res.status}` : `HTTP ${res.status}`;
  return new ProviderError(awsErrorKind(code, res.status), `${displayName}: ${reason} (${detail})`, {
    status: res.status,
    code,
    // Neither SES nor SNS sends Retry-After (providers.md §7); kept in case a proxy adds one.
    retryAfterSeconds: retryAfterSeconds(res.headers.get("retry-after")),
  });
}
