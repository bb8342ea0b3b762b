/**
 * The REST dialect under /api/integrations (the union of 002, 003 and 004). Handlers are thin:
 * they map the request onto the integrations service and its result onto a view. The areas
 * are mounted in match order, static paths before `/{id}`: the catalog, the collection, 004's
 * per-provider connect and disconnect, one integration, its log and connection test, and the
 * accounts (Facebook Pages) its connection reaches.
 */
import { createRouter } from "../openapi.ts";
import { accountsApi } from "./accounts.ts";
import { activityApi } from "./activity.ts";
import { catalogApi } from "./catalog.ts";
import { collectionApi } from "./collection.ts";
import { connectApi } from "./connect.ts";
import { itemApi } from "./item.ts";

export const integrationsApi = createRouter();

integrationsApi.route("/", catalogApi);
integrationsApi.route("/", collectionApi);
integrationsApi.route("/", connectApi);
integrationsApi.route("/", itemApi);
integrationsApi.route("/", activityApi);
integrationsApi.route("/", accountsApi);
