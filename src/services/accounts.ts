/**
 * Choosing the account an integration works with, where one connection reaches several (the
 * provider's `accounts` hook: the Facebook Pages a user token manages). Listing calls the
 * provider with the integration's credentials; choosing stores what the provider says the chosen
 * account needs (its id in the settings, its credentials through the vault), logged as
 * `account_selected`. No account's credentials are ever returned.
 */
import type { IntegrationRow } from "../db/schema.ts";
import { ApiError, ErrorCode } from "../errors.ts";
import { type ProviderContext, ProviderError } from "../providers/runtime.ts";
import type { AccountChooser, ChoosableAccount } from "../providers/types.ts";
import type { Connections } from "./connections.ts";
import { type Integrations, providerOf, type WriteContext } from "./integrations.ts";

export class Accounts {
  constructor(
    private readonly integrations: Integrations,
    private readonly connections: Connections,
  ) {}

  /** The accounts the integration's credentials reach, the one in use marked `selected`. */
  async list(
    orgId: string,
    id: string,
  ): Promise<{ row: IntegrationRow; label: string; accounts: ChoosableAccount[] }> {
    const { row, chooser } = await this.chooserOf(orgId, id);
    const accounts = await this.call(row, (ctx) => chooser.list(ctx));
    return { row, label: chooser.label, accounts };
  }

  /** Makes the integration work with one of them; answers the integration as stored. */
  async select(orgId: string, id: string, accountId: string, ctx: WriteContext): Promise<IntegrationRow> {
    const { row, chooser } = await this.chooserOf(orgId, id);
    const values = await this.call(row, (pctx) => chooser.choose(pctx, accountId));
    return this.integrations.update(orgId, id, { values }, ctx, "account_selected");
  }

  private async chooserOf(
    orgId: string,
    id: string,
  ): Promise<{ row: IntegrationRow; chooser: AccountChooser }> {
    const row = await this.integrations.get(orgId, id);
    const chooser = providerOf(row).accounts;
    if (!chooser) {
      throw new ApiError(
        ErrorCode.BAD_REQUEST,
        `${providerOf(row).displayName} integrations have no accounts to choose from`,
      );
    }
    if (row.disconnectedAt)
      throw new ApiError(ErrorCode.CONFLICT, "The integration is disconnected; connect it again");
    return { row, chooser };
  }

  /**
   * A provider call: refused credentials are a 409, an unknown account a 400; an outage or a
   * rate limit is a 502 with Retry-After.
   */
  private async call<T>(row: IntegrationRow, fn: (ctx: ProviderContext) => Promise<T>): Promise<T> {
    try {
      return await this.connections.run(row, fn);
    } catch (e) {
      if (!(e instanceof ProviderError)) throw e;
      if (e.retryable) {
        throw new ApiError(ErrorCode.PROVIDER_UNAVAILABLE, e.message, {
          headers: { "retry-after": String(e.opts.retryAfterSeconds ?? 30) },
        });
      }
      if (e.kind === "auth") throw new ApiError(ErrorCode.CONFLICT, e.message);
      throw new ApiError(ErrorCode.BAD_REQUEST, e.message, {
        issues: [{ path: "account_id", message: e.message }],
      });
    }
  }
}
