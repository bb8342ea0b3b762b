/** API proxy: the request signed with SigV4 for SES (and, through `signAws`, for SNS). */
import { AwsV4Signer } from "aws4fetch";
import { bodyOf } from "../proxy-auth.ts";
import type { ProviderContext } from "../runtime.ts";
import { type AwsService, awsCredentials } from "./sigv4.ts";

/** Signs the request for `service` with the integration's key pair and region. */
export async function signAws(ctx: ProviderContext, service: AwsService, request: Request): Promise<Request> {
  const { accessKeyId, secretAccessKey, region } = awsCredentials(ctx);
  const body = await bodyOf(request);
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

export const authorize = (ctx: ProviderContext, request: Request): Promise<Request> =>
  signAws(ctx, "ses", request);
