/** API proxy: HTTP Basic with the API key and API secret. */
import { withHeaders } from "../proxy-auth.ts";
import { basicAuth, type ProviderContext, secret, setting } from "../runtime.ts";

export const authorize = (ctx: ProviderContext, request: Request): Promise<Request> =>
  withHeaders(request, { authorization: basicAuth(setting(ctx, "api_key"), secret(ctx, "api_secret")) });
