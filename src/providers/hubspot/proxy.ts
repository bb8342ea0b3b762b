/** API proxy: the private-app token or the OAuth access token as `Authorization: Bearer`. */
import { bearerHeader } from "../other/bearer.ts";
import { withHeaders } from "../proxy-auth.ts";
import type { ProviderContext } from "../runtime.ts";

export const authorize = (ctx: ProviderContext, request: Request): Promise<Request> =>
  withHeaders(request, bearerHeader(ctx, "private_app_token", "access_token"));
