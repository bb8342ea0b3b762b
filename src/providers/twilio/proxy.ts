/** API proxy: HTTP Basic with the Account SID and Auth Token (Twilio SMS and WhatsApp via Twilio). */
import { withHeaders } from "../proxy-auth.ts";
import { basicAuth, type ProviderContext, secret } from "../runtime.ts";
import { accountSid } from "./api.ts";

export const authorize = (ctx: ProviderContext, request: Request): Promise<Request> =>
  withHeaders(request, { authorization: basicAuth(accountSid(ctx), secret(ctx, "auth_token")) });
