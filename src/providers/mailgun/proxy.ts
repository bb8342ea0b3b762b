/** API proxy: HTTP Basic with the user `api` and the API key. */
import { withHeaders } from "../proxy-auth.ts";
import { basicAuth, type ProviderContext, secret } from "../runtime.ts";

export const authorize = (ctx: ProviderContext, request: Request): Promise<Request> =>
  withHeaders(request, { authorization: basicAuth("api", secret(ctx, "api_key")) });
