/**
 * The code exchange at the provider's token endpoint (RFC 6749 §4.1.3, with the PKCE verifier
 * when the flow used one), within one timeout that aborts the request, and a readable reason
 * when it fails.
 */
import * as oauth from "oauth4webapi";
import type { Settings } from "../../config.ts";
import { OutboundTimeout, withTimeout } from "../../lib/outbound.ts";
import type { OAuthTokens } from "../../providers/oauth.ts";
import type { HttpClient } from "../../providers/runtime.ts";
import { clientAuth, type OAuthApp, type OAuthProvider, requestOptions } from "../oauth-client.ts";
import { withTokenType } from "./quirks.ts";

/** A code exchange is one user-facing call; it may take longer than an ordinary provider call. */
const EXCHANGE_TIMEOUT_MS = 15_000;

export interface ExchangeOptions {
  settings: Settings;
  http: HttpClient;
  provider: OAuthProvider;
  app: OAuthApp;
  as: oauth.AuthorizationServer;
  client: oauth.Client;
  /** The validated authorization response. */
  params: URLSearchParams;
  redirectUri: string;
  codeVerifier: string | null;
}

/**
 * Exchanges the authorization code for tokens. The request and the reading of its answer share
 * the timeout; when it runs out the request is aborted and an OutboundTimeout is thrown.
 */
export function exchangeCode(o: ExchangeOptions): Promise<OAuthTokens> {
  const { settings, provider } = o;
  const http = withTokenType(o.http, provider.oauth.defaultTokenType);
  return withTimeout(Math.max(settings.PROVIDER_TIMEOUT_MS, EXCHANGE_TIMEOUT_MS), async (signal) => {
    const res = await oauth.authorizationCodeGrantRequest(
      o.as,
      o.client,
      clientAuth(provider, o.app),
      o.params,
      o.redirectUri,
      o.codeVerifier ?? oauth.nopkce,
      { ...requestOptions(settings, http), signal },
    );
    return (await oauth.processAuthorizationCodeResponse(o.as, o.client, res)) as OAuthTokens;
  });
}

/** A readable reason for a failed code exchange; never echoes a secret. */
export async function tokenErrorMessage(name: string, e: unknown): Promise<string> {
  let error: string | undefined;
  let description: string | undefined;
  let response: Response | undefined;
  if (e instanceof oauth.ResponseBodyError) {
    error = e.error;
    description = e.error_description;
  } else if (e instanceof oauth.WWWAuthenticateChallengeError) {
    response = e.response;
  } else if (e instanceof oauth.OperationProcessingError && e.cause instanceof Response) {
    response = e.cause;
  }
  if (response && !error) {
    try {
      const body = (await response.clone().json()) as Record<string, unknown>;
      const graph =
        body.error && typeof body.error === "object" ? (body.error as Record<string, unknown>) : null;
      if (typeof body.error === "string") {
        error = body.error;
        description = typeof body.error_description === "string" ? body.error_description : undefined;
      } else if (graph && typeof graph.message === "string") {
        description = graph.message;
      } else if (typeof body.error_message === "string") {
        description = body.error_message;
      }
    } catch {
      // Not JSON: the status says enough.
    }
    if (!error && !description) description = `HTTP ${response.status}`;
  }
  const detail = description ? ` (${description})` : "";
  if (error === "invalid_grant") {
    return `${name} did not accept the authorization${detail}. Start the connection again.`;
  }
  if (error === "invalid_client" || error === "unauthorized_client") {
    return `${name} did not accept the OAuth app's client id or secret${detail}.`;
  }
  if (error) return `${name} refused the token request: ${error}${detail}.`;
  if (description) return `${name} refused the token request${detail}.`;
  if (e instanceof OutboundTimeout) return `${name} did not answer in time. Try connecting again.`;
  if (e instanceof TypeError) return `${name} could not be reached. Try connecting again.`;
  return `${name} sent an unexpected answer to the token request.`;
}
