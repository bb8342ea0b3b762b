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
 * How far an entity's sync is: 100 once done, 0 before it starts or after it failed, and null
 * while it runs, since no provider says how many records there are before its last page: the
 * pages and records so far are then the progress, shown as counts rather than a guessed bar.
 * @param {SyncEntity} e
 * @returns {{ value: number | null, job: SyncJob | null }}
 */
export function progressOf(e) {
  const job = e.current_job ?? e.last_job;
  if (e.state === "success" || e.state === "partial") return { value: 100, job };
  if (!job || e.state === "idle" || e.state === "failed") return { value: 0, job };
  return { value: null, job };
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
  // The panel was replaced (another tab or integration): this answer is no longer wanted.
  if (!panel.isConnected) return;
  if ($("#d-last-sync")) $("#d-last-sync").textContent = fmtDate(status.last_sync_at);
  const rows = status.entities.map((e) => {
    const { value, job } = progressOf(e);
    const label = `${e.entity}: ${e.state}${job ? `, ${job.records_synced ?? 0} records, ${job.pages_done ?? 0} pages` : ""}`;
    return h(
      "li",
      { class: `entity state-${e.state}`, dataset: { entity: e.entity, state: e.state } },
      h("div", { class: "entity-head" }, h("strong", {}, e.entity), badge(e.state)),
      value === null
        ? null
        : h("progress", {
            max: 100,
            value,
            "aria-label": `${e.entity} sync progress`,
            "aria-valuetext": label,
          }),
      h(
        "p",
        { class: "small muted entity-count", "aria-live": value === null ? "polite" : undefined },
        job
          ? `${job.records_synced ?? 0} records · ${job.pages_done ?? 0} pages${value === null ? " so far" : ""}${job.error_message ? ` · ${job.error_message}` : ""}`
          : "Never synced",
      ),
      h(
        "button",
        {
          type: "button",
          class: "btn small",
          disabled: ACTIVE.has(e.state),
          onclick: () => syncNow(i, e.entity, panel),
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
      if (panel.isConnected) renderSync(i, panel).catch(() => {});
    }, 1000);
  }
}

/**
 * Starts a sync of one entity, then shows the tab again.
 * @param {Integration} i
 * @param {string} entity
 * @param {HTMLElement} panel the tab's panel
 */
export async function syncNow(i, entity, panel) {
  try {
    await api("POST", `/api/integrations/${i.id}/sync/${encodeURIComponent(entity)}`, {});
    banner(`Sync of ${entity} started.`, "ok");
  } catch (error) {
    banner(/** @type {Error} */ (error).message, "fail");
  }
  stopPolling();
  await renderSync(i, panel);
  /** @type {HTMLElement | null} */ (
    panel.querySelector(`[data-entity="${CSS.escape(entity)}"] button`)
  )?.focus();
}
