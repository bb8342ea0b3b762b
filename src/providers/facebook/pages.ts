/**
 * Choosing the Page a Facebook integration works with: `GET /me/accounts` with the user token
 * lists the Pages it manages, each with its id, name, category, the tasks the user may perform
 * and its Page access token (providers.md §1: a Page token got with a long-lived user token does
 * not expire). The list never leaves the hub with those tokens; choosing one stores its id and
 * name and its Page token (in the vault, as `access_token`), and keeps the user token
 * (`user_access_token`) to list the Pages again.
 */
import { field, type ProviderContext, ProviderError } from "../runtime.ts";
import type { AccountChooser, ChoosableAccount } from "../types.ts";
import { graph } from "./graph.ts";

interface ManagedPage {
  id: string;
  name: string;
  token: string;
  category?: string;
  tasks?: string[];
}

/** The token the Pages are listed with: the user token, or the access token before a Page is chosen. */
function userContext(ctx: ProviderContext): { ctx: ProviderContext; token: string } {
  const token = ctx.secrets.user_access_token || ctx.secrets.access_token;
  if (!token) throw new ProviderError("permanent", "the integration has no access_token configured");
  return { ctx: { ...ctx, secrets: { ...ctx.secrets, access_token: token } }, token };
}

/** Every Page the user token manages (following `paging.next` cursors, 100 Pages a call). */
async function managedPages(ctx: ProviderContext): Promise<ManagedPage[]> {
  const user = userContext(ctx);
  const pages: ManagedPage[] = [];
  let after: string | undefined;
  for (let calls = 0; calls < 20; calls++) {
    const res = await graph(user.ctx, "Facebook", {
      path: "/me/accounts",
      query: { fields: "id,name,category,tasks,access_token", limit: "100", ...(after ? { after } : {}) },
    });
    const data = field(res.data, "data");
    for (const p of Array.isArray(data) ? data : []) {
      const id = field(p, "id");
      const token = field(p, "access_token");
      if (typeof id !== "string" || typeof token !== "string") continue;
      const tasks = field(p, "tasks");
      pages.push({
        id,
        name: String(field(p, "name") ?? id),
        token,
        ...(typeof field(p, "category") === "string" ? { category: field(p, "category") as string } : {}),
        ...(Array.isArray(tasks) ? { tasks: tasks.map(String) } : {}),
      });
    }
    const next = field(res.data, "paging", "next");
    const cursor = field(res.data, "paging", "cursors", "after");
    if (typeof next !== "string" || typeof cursor !== "string") break;
    after = cursor;
  }
  return pages;
}

export const pages: AccountChooser = {
  label: "Pages",
  async list(ctx): Promise<ChoosableAccount[]> {
    const current = ctx.config.page_id === undefined ? "" : String(ctx.config.page_id);
    return (await managedPages(ctx)).map((p) => ({
      id: p.id,
      name: p.name,
      selected: p.id === current,
      details: { ...(p.category ? { category: p.category } : {}), ...(p.tasks ? { tasks: p.tasks } : {}) },
    }));
  },
  async choose(ctx, pageId) {
    const { token } = userContext(ctx);
    const page = (await managedPages(ctx)).find((p) => p.id === pageId);
    if (!page)
      throw new ProviderError("permanent", `Facebook: the user token manages no Page with id ${pageId}`);
    return { page_id: page.id, page_name: page.name, access_token: page.token, user_access_token: token };
  },
};
