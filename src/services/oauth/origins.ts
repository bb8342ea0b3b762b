/**
 * Where a flow may send the browser: the hub's public origin (for redirect URIs, connect links
 * and webhook URLs), the redirect URI registered with a provider's app, and the return URLs a
 * flow accepts (this deployment's origin and OAUTH_RETURN_ORIGINS only, so no open redirects).
 */
import type { Settings } from "../../config.ts";
import { ApiError, ErrorCode } from "../../errors.ts";

const invalid = (path: string, message: string) =>
  new ApiError(ErrorCode.INVALID_FIELD, `${path}: ${message}`, { issues: [{ path, message }] });

/**
 * The hub's public origin, for OAuth redirect URIs, return URL checks, connect links and webhook
 * URLs: PUBLIC_URL. The request's own origin comes from its Host header, which the client
 * chooses, so only a development deployment (SANDBOX_ENABLED) without PUBLIC_URL falls back to
 * it; production without PUBLIC_URL is a clear 503.
 */
export function publicOrigin(settings: Settings, requestOrigin?: string): string {
  const url = settings.PUBLIC_URL ?? (settings.SANDBOX_ENABLED ? requestOrigin : undefined);
  if (!url) {
    throw new ApiError(
      ErrorCode.NOT_CONFIGURED,
      "PUBLIC_URL is not set: OAuth redirect URIs, connect links and webhook URLs need this deployment's public origin (set the PUBLIC_URL var)",
    );
  }
  return url.replace(/\/+$/, "");
}

export class OAuthOrigins {
  constructor(
    private readonly settings: Settings,
    /** `OAUTH_RETURN_ORIGINS`, comma-separated. */
    private readonly returnOriginsList?: string,
  ) {}

  /** The hub's public origin (see publicOrigin). */
  publicUrl(requestOrigin?: string): string {
    return publicOrigin(this.settings, requestOrigin);
  }

  /** Where the provider sends the browser back: register this URL with the provider's app. */
  redirectUri(providerId: string, publicUrl?: string): string {
    return `${this.publicUrl(publicUrl)}/api/integrations/${providerId}/callback`;
  }

  /** Origins a flow may return the browser to: PUBLIC_URL's and OAUTH_RETURN_ORIGINS. */
  returnOrigins(publicUrl?: string): Set<string> {
    const out = new Set<string>([new URL(this.publicUrl(publicUrl)).origin]);
    for (const raw of (this.returnOriginsList ?? "").split(",")) {
      const s = raw.trim();
      if (!s) continue;
      try {
        out.add(new URL(s).origin);
      } catch {
        // A malformed entry allows nothing.
      }
    }
    return out;
  }

  /**
   * Checks a return URL: absolute http(s), on an allowed origin. Returns it normalized, or the
   * default (`${PUBLIC_URL}/integrations`) when none is given; throws 400 otherwise.
   */
  checkReturnTo(returnTo: string | undefined | null, publicUrl?: string, path = "return_to"): string {
    if (returnTo === undefined || returnTo === null || returnTo === "")
      return `${this.publicUrl(publicUrl)}/integrations`;
    let url: URL;
    try {
      url = new URL(returnTo);
    } catch {
      throw invalid(path, "must be an absolute URL");
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") throw invalid(path, "must be an http(s) URL");
    if (url.username || url.password) throw invalid(path, "must not carry credentials");
    if (!this.returnOrigins(publicUrl).has(url.origin)) {
      throw invalid(
        path,
        `origin ${url.origin} is not allowed; use this deployment's origin or one listed in OAUTH_RETURN_ORIGINS`,
      );
    }
    return url.toString();
  }
}
