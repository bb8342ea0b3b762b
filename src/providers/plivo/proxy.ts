/** API proxy: HTTP Basic with the Auth ID and Auth Token. */
import { withHeaders } from "../proxy-auth.ts";
import { basicAuth, type ProviderContext, secret, setting } from "../runtime.ts";

export const authorize = (ctx: ProviderContext, request: Request): Promise<Request> =>
  withHeaders(request, { authorization: basicAuth(setting(ctx, "auth_id"), secret(ctx, "auth_token")) });
