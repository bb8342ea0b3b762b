/** API proxy: the bot token goes into the path, `/bot<token>/<method>`, as every Bot API call. */
import { withPathPrefix } from "../proxy-auth.ts";
import { type ProviderContext, ProviderError, secret } from "../runtime.ts";

const TOKEN_RE = /^[0-9]+:[A-Za-z0-9_-]+$/;

export function authorize(ctx: ProviderContext, request: Request): Promise<Request> {
  const token = secret(ctx, "bot_token");
  if (!TOKEN_RE.test(token))
    throw new ProviderError("auth", "the bot token is not in BotFather's format (123456:ABC...)");
  return withPathPrefix(ctx, request, `/bot${token}`);
}
