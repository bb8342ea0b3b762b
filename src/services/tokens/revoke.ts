/**
 * Revoking tokens at the provider and disconnecting: the grant is revoked first (the refresh
 * token, else the access token; RFC 7009, or the provider's own revocation hook), within the
 * provider timeout, then the integration's credentials are wiped. A failed revocation is logged
 * and recorded, never fatal.
 */
import * as oauth from "oauth4webapi";
import type { IntegrationRow } from "../../db/schema.ts";
import { withTimeout } from "../../lib/outbound.ts";
import { providerOf, type WriteContext } from "../integrations.ts";
import {
  authorizationServer,
  clientAuth,
  type OAuthProvider,
  oauthApp,
  oauthEndpoint,
  requestOptions,
} from "../oauth-client.ts";
import { classify, type TokensDeps } from "./shared.ts";

export class TokenRevocation {
  constructor(private readonly deps: TokensDeps) {}

  /**
   * Disconnects a provider's integration (004): the grant is revoked at the provider first (a
   * failure is logged, not fatal), then its credentials are wiped.
   */
  async disconnect(orgId: string, providerId: string, ctx: WriteContext, integrationId?: string) {
    const row = await this.deps.integrations.findByProvider(orgId, providerId, integrationId);
    if (row?.secrets) await this.revoke(row);
    await this.deps.integrations.disconnect(orgId, providerId, ctx, integrationId);
  }

  /**
   * Revokes the integration's grant at the provider (the refresh token, else the access token)
   * when the provider has a revocation endpoint. Never throws: a failure is logged.
   */
  async revoke(row: IntegrationRow): Promise<{ revoked: boolean; message: string }> {
    const { activity, settings, http } = this.deps;
    const provider = providerOf(row);
    if (!provider.oauth?.revokeUrl && !provider.oauth?.revoke)
      return { revoked: false, message: "the provider has no revocation endpoint" };
    const p = provider as OAuthProvider;
    let message: string;
    try {
      const secrets = await this.deps.integrations.secretsOf(row);
      const token = secrets.refresh_token ?? secrets.access_token;
      if (!token) return { revoked: false, message: "no token to revoke" };
      if (p.oauth.revoke) {
        await p.oauth.revoke({
          ...(secrets.access_token ? { accessToken: secrets.access_token } : {}),
          ...(secrets.refresh_token ? { refreshToken: secrets.refresh_token } : {}),
          endpoint: (url) => oauthEndpoint(settings, p, url),
          http,
        });
      } else {
        const app = oauthApp(settings, this.deps.deploymentApps(), p, row.config, secrets);
        if (!app) return { revoked: false, message: "no OAuth app configured to revoke with" };
        const as = authorizationServer(settings, p);
        await withTimeout(settings.PROVIDER_TIMEOUT_MS, async (signal) => {
          const res = await oauth.revocationRequest(
            as,
            { client_id: app.clientId },
            clientAuth(p, app),
            token,
            {
              ...requestOptions(settings, http),
              signal,
              additionalParameters: {
                token_type_hint: secrets.refresh_token ? "refresh_token" : "access_token",
              },
            },
          );
          await oauth.processRevocationResponse(res);
        });
      }
      message = `Tokens revoked at ${provider.displayName}`;
      await activity.log({
        orgId: row.orgId,
        integrationId: row.id,
        action: "token_revoked",
        message,
      });
      return { revoked: true, message };
    } catch (e) {
      message = `Revoking at ${provider.displayName} failed: ${classify(provider, e, "revocation").message}`;
      this.deps.log.warn("token revocation failed", {
        integration_id: row.id,
        org_id: row.orgId,
        provider: row.provider,
        reason: message,
      });
      await activity
        .log({
          orgId: row.orgId,
          integrationId: row.id,
          level: "warn",
          action: "token_revoked",
          message,
        })
        .catch(() => undefined);
      return { revoked: false, message };
    }
  }
}
