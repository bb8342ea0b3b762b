/** API proxy: the request signed the way SQL's Node sample signs (see client.ts). */
import { type ProviderContext, secret, setting } from "../runtime.ts";
import { DEFAULT_REGION, DEFAULT_SERVICE, signRequest } from "./client.ts";

export function authorize(ctx: ProviderContext, request: Request): Promise<Request> {
  const opt = (name: string, fallback: string) => {
    const v = ctx.config[name];
    return typeof v === "string" && v ? v : fallback;
  };
  return signRequest(request, {
    accessKey: setting(ctx, "access_key"),
    secretKey: secret(ctx, "api_key"),
    region: opt("region", DEFAULT_REGION),
    service: opt("service", DEFAULT_SERVICE),
  });
}
