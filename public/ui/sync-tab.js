// @ts-check
// The detail view's sync tab: state and progress per entity, Sync now, history; polls while
// a sync is active.

import { api } from "./api.js";
import { $, badge, banner, fmtDate, h, table } from "./dom.js";
import { state, stopPolling } from "./state.js";

/** @import { Integration, SyncEntity, SyncJob, SyncStatus } from "./types.js" */

/** The states of a sync still under way. */
export const ACTIVE = new Set(["queued", "running", "paused"]);

/**
 * How far an entity's sync is (0 to 100), and the job that says so.
 * @param {SyncEntity} e
 * @returns {{ value: number, job: SyncJob | null }}
 */
export function progressOf(e) {
  const job = e.current_job ?? e.last_job;
  if (e.state === "success" || e.state === "partial") return { value: 100, job };
  if (!job || e.state === "idle") return { value: 0, job };
  if (e.state === "failed") return { value: 0, job };
  // The total is unknown until the provider's last page: approach 95% as pages arrive.
  const pages = job.pages_done ?? 0;
  return { value: Math.round(95 * (1 - 1 / (1 + pages / 4))), job };
}

/**
 * @param {Integration} i
 * @param {HTMLElement} panel
 */
export async function renderSync(i, panel) {
  /** @type {[SyncStatus, { logs: SyncJob[] }]} */
  const [status, logs] = await Promise.all([
    api("GET", `/api/integrations/${i.id}/sync-status`),
    api("GET", `/api/integrations/${i.id}/sync-logs`),
  ]);
  if (!$("#tabpanel") || state.detailTab !== "sync") return;
  if ($("#d-last-sync")) $("#d-last-sync").textContent = fmtDate(status.last_sync_at);
  const rows = status.entities.map((e) => {
    const { value, job } = progressOf(e);
    const label = `${e.entity}: ${e.state}${job ? `, ${job.records_synced ?? 0} records, ${job.pages_done ?? 0} pages` : ""}`;
    return h(
      "li",
      { class: `entity state-${e.state}`, dataset: { entity: e.entity, state: e.state } },
      h("div", { class: "entity-head" }, h("strong", {}, e.entity), badge(e.state)),
      h("progress", { max: 100, value, "aria-label": `${e.entity} sync progress`, "aria-valuetext": label }),
      h(
        "p",
        { class: "small muted entity-count" },
        job
          ? `${job.records_synced ?? 0} records · ${job.pages_done ?? 0} pages${job.error_message ? ` · ${job.error_message}` : ""}`
          : "Never synced",
      ),
      h(
        "button",
        {
          type: "button",
          class: "btn small",
          disabled: ACTIVE.has(e.state),
          onclick: () => syncNow(i, e.entity),
        },
        `Sync ${e.entity} now`,
      ),
    );
  });
  panel.replaceChildren(
    h("h3", {}, "Status"),
    h("p", { class: "small muted" }, `Last sync: ${fmtDate(status.last_sync_at)}`),
    h("ul", { class: "entities" }, rows),
    h("h3", {}, "History"),
    table(
      "Sync history",
      [
        ["Entity", (j) => j.entity],
        ["Direction", (j) => j.direction],
        ["Status", (j) => j.status],
        ["Synced", (j) => String(j.records_synced ?? 0)],
        ["Failed", (j) => String(j.records_failed ?? 0)],
        ["Started", (j) => fmtDate(j.started_at)],
        ["Completed", (j) => fmtDate(j.completed_at)],
        ["Error", (j) => j.error_message],
      ],
      logs.logs,
    ),
  );
  if (status.entities.some((e) => ACTIVE.has(e.state))) {
    state.pollTimer = setTimeout(() => {
      if (state.detailTab === "sync" && $("#tabpanel")) renderSync(i, $("#tabpanel")).catch(() => {});
    }, 1000);
  }
}

/**
 * Starts a sync of one entity, then shows the tab again.
 * @param {Integration} i
 * @param {string} entity
 */
export async function syncNow(i, entity) {
  try {
    await api("POST", `/api/integrations/${i.id}/sync/${encodeURIComponent(entity)}`, {});
    banner(`Sync of ${entity} started.`, "ok");
  } catch (error) {
    banner(/** @type {Error} */ (error).message, "fail");
  }
  stopPolling();
  await renderSync(i, $("#tabpanel"));
  $(`[data-entity="${CSS.escape(entity)}"] button`)?.focus();
}
