// The live alert feed (docs/playbooks.md#alert-feed): the recent playbook alerts from
// GET /api/v1/alerts so the panel starts filled, then each new one as the hub's alertFired
// message. Alerts are keyed by id, so one that arrives both ways is shown once.

import { api } from "./api.js";
import { h, replace } from "./dom.js";
import { bandChip, relativeTime, accountHref, errorText } from "./watchlist.js";

const SHOWN = 20;

/**
 * Fills `root` (the page's alerts panel) and keeps it live through `live`.
 * Returns a dispose function.
 * @param {HTMLElement} root
 * @param {import("./live.js").LiveConnection} live
 */
export function showAlerts(root, live) {
  const abort = new AbortController();
  /** @type {Map<string, object>} */
  const alerts = new Map();
  const list = h("ol", { class: "alerts-list", attrs: { "aria-live": "polite", "aria-relevant": "additions" } });
  const empty = h("p", { class: "alerts-empty muted" }, "No alerts yet. A playbook that fires shows up here at once.");
  const status = h("p", { class: "alerts-status muted", attrs: { role: "status" } });
  root.hidden = false;
  replace(root,
    h("div", { class: "panel alerts-panel" },
      h("div", { class: "alerts-head" },
        h("h2", { id: "alerts-title" }, "Alerts"),
        h("span", { class: "muted alerts-note" }, "Playbooks that fired, newest first")),
      status, empty, list));

  function add(items, isNew) {
    for (const a of items) {
      if (!a || typeof a.id !== "string" || alerts.has(a.id)) continue;
      alerts.set(a.id, { ...a, isNew });
    }
    render();
  }

  function render() {
    const newest = [...alerts.values()].sort((x, y) => String(y.firedAt).localeCompare(String(x.firedAt))).slice(0, SHOWN);
    empty.hidden = newest.length > 0;
    replace(list, newest.map(row));
  }

  function row(a) {
    return h("li", { class: ["alert", a.isNew && "alert-new"], dataset: { alertId: a.id, accountId: a.accountId, playbookId: a.playbookId } },
      bandChip(a.band, "chip-small"),
      h("div", { class: "alert-body" },
        h("div", { class: "alert-title" },
          h("a", { class: "alert-account", href: accountHref(a.accountId) }, a.accountName || a.accountId),
          " · ",
          h("span", { class: "alert-playbook" }, a.playbookName || a.playbookId)),
        h("div", { class: "alert-summary muted" }, a.summary ?? a.trigger, a.reason ? ` — ${a.reason}` : "")),
      relativeTime(a.firedAt));
  }

  api.alerts(SHOWN, { signal: abort.signal })
    .then((body) => add(Array.isArray(body?.alerts) ? body.alerts : [], false))
    .catch((err) => {
      if (err?.name !== "AbortError") status.textContent = errorText(err, "Could not load the recent alerts");
    });
  live.followAlerts({
    recent: (items) => add(items, false),
    fired: (alert) => add([alert], true),
  });

  return () => {
    abort.abort();
    live.unfollowAlerts();
    root.hidden = true;
    replace(root);
  };
}
