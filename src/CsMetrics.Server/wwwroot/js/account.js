// The account screen: score and band, components, score history, recent explanations,
// signal counts and registry metadata.

import { api, ApiError } from "./api.js";
import { h, replace } from "./dom.js";
import { historyChart } from "./charts.js";
import { bandChip, relativeTime, errorPanel, watchlistHref } from "./watchlist.js";
import * as fmt from "./format.js";

const RANGES = [
  { days: 7, label: "7 days" },
  { days: 30, label: "30 days" },
  { days: 90, label: "90 days" },
];

let rangeDays = 30;

/** Renders the account `accountId` into `root`; returns a dispose function. */
export function showAccount(root, accountId, back) {
  const abort = new AbortController();
  let disposed = false;

  const load = async () => {
    replace(root, h("section", { class: "account-view" }, backLink(back), h("p", { class: "loading" }, "Loading account…")));
    let view;
    let scorecard = null;
    try {
      [view, scorecard] = await Promise.all([
        api.account(accountId, { signal: abort.signal }),
        api.scorecard({ signal: abort.signal }).catch((err) => {
          if (err?.name === "AbortError") throw err;
          return null;
        }),
      ]);
    } catch (err) {
      if (disposed || err?.name === "AbortError") return;
      const notFound = err instanceof ApiError && err.status === 404;
      replace(root, h("section", { class: "account-view" },
        backLink(back),
        h("h1", { id: "view-title" }, notFound ? "Account not found" : "Account"),
        notFound
          ? h("div", { class: "empty-state" }, h("p", null, "No account ", h("code", null, accountId), " has been registered or sent a signal."))
          : errorPanel(err, "The account could not be loaded.")));
      return;
    }
    if (disposed) return;
    render(root, view, scorecard, back, load, abort.signal, () => disposed);
  };
  load();

  return () => {
    disposed = true;
    abort.abort();
  };
}

function backLink(back) {
  const target = back ?? { id: "at-risk", name: "At risk" };
  return h("a", { class: "back-link", href: watchlistHref(target.id) },
    h("span", { attrs: { "aria-hidden": "true" } }, "← "), `Back to ${target.name ?? target.id}`);
}

function render(root, view, scorecard, back, reload, signal, isDisposed) {
  const health = view.health ?? {};
  const title = view.name || view.accountId;

  const header = h("header", { class: "account-header" },
    h("div", { class: "account-heading" },
      h("h1", { id: "view-title", class: "account-name" }, title),
      h("p", { class: "account-sub muted" },
        view.name && view.name !== view.accountId ? [h("span", { class: "account-id" }, view.accountId), " · "] : null,
        view.owner ? `Owner ${view.owner}` : "No owner",
        " · ",
        view.segment ? view.segment : "No segment")),
    h("div", { class: ["score-card", `score-card-${fmt.BANDS.includes(health.band) ? health.band : "none"}`] },
      h("div", { class: "score-card-main" },
        h("span", { class: "big-score", attrs: { "aria-label": `Health score ${fmt.score(health.score)}` } }, fmt.score(health.score)),
        h("span", { class: "big-score-max muted", attrs: { "aria-hidden": "true" } }, "/100"),
        bandChip(health.band, "chip-large")),
      trendLine(health),
      h("p", { class: "score-card-meta muted" },
        health.updatedAt ? ["Updated ", relativeTime(health.updatedAt)] : "Not scored yet",
        ` · scorecard v${health.scorecardVersion ?? "?"}`),
      overrideNote(health),
      h("button", { type: "button", class: "button button-quiet", on: { click: reload } }, "Refresh")));

  const grid = h("div", { class: "account-grid" },
    componentsPanel(health.components ?? [], scorecard),
    detailsPanel(view),
    historyPanel(view.accountId, scorecard, signal, isDisposed),
    changesPanel(view.recentChanges ?? []),
    signalsPanel(view.recentSignals ?? []));

  replace(root, h("section", { class: "account-view", attrs: { "aria-labelledby": "view-title" } }, backLink(back), header, grid));
  document.title = `${title} · CsMetrics`;
}

/** "7 days −12.5 · 30 days −20" when the server reports the changes. */
function trendLine(health) {
  const parts = [];
  for (const [label, value] of [["7 days", health.delta7d], ["30 days", health.delta30d]]) {
    if (typeof value === "number" && Number.isFinite(value)) {
      parts.push(h("span", { class: ["delta", `delta-${fmt.deltaDirection(value)}`] }, `${label} ${fmt.delta(value)}`));
    }
  }
  if (parts.length === 0) return null;
  return h("p", { class: "score-card-trend" }, parts.flatMap((p, i) => (i === 0 ? [p] : [" · ", p])));
}

/** A manual override replaces the shown score and band; say so, and what the scorecard says. */
function overrideNote(health) {
  const o = health.overridden ? health.override : null;
  if (!o) return null;
  const shown = o.band ? fmt.bandLabel(o.band) : fmt.score(o.score);
  return h("div", { class: "override-note", attrs: { role: "note" } },
    h("p", { class: "override-title" }, `Manual override: ${shown}`),
    o.reason ? h("p", null, "“", o.reason, "”") : null,
    h("p", { class: "muted" },
      o.by ? `by ${o.by}` : "",
      o.setAt ? [" · ", relativeTime(o.setAt)] : null,
      o.expiresAt ? ` · until ${fmt.dateTime(o.expiresAt)}` : null),
    typeof health.computedScore === "number"
      ? h("p", { class: "muted" }, `The scorecard says ${fmt.score(health.computedScore)} (${fmt.bandLabel(health.computedBand)}).`)
      : null);
}

function panel(title, cls, ...content) {
  const id = `panel-${cls}`;
  return h("section", { class: ["panel", `panel-${cls}`], attrs: { "aria-labelledby": id } },
    h("h2", { id, class: "panel-title" }, title), ...content);
}

function componentsPanel(components, scorecard) {
  if (components.length === 0) {
    return panel("Health components", "components", h("p", { class: "muted" }, "No components yet."));
  }
  const descriptions = new Map((scorecard?.components ?? []).map((c) => [c.name, c.description]));
  const includedWeight = components.filter((c) => c.included).reduce((sum, c) => sum + (c.weight ?? 0), 0);
  const list = h("ul", { class: "components" });
  for (const c of components) {
    const included = c.included && typeof c.score === "number";
    const share = included && includedWeight > 0 ? (c.weight / includedWeight) * 100 : 0;
    const scoreFill = h("span", { class: ["bar-fill", included && `bar-${bandOf(c.score, scorecard)}`] });
    scoreFill.style.width = `${included ? clamp(c.score, 0, 100) : 0}%`;
    const weightFill = h("span", { class: "bar-fill bar-weight" });
    weightFill.style.width = `${clamp(share, 0, 100)}%`;
    list.append(h("li", { class: ["component", !included && "component-excluded"], dataset: { component: c.name } },
      h("div", { class: "component-name" },
        h("span", { class: "component-title" }, fmt.capitalize(c.name)),
        descriptions.get(c.name) ? h("span", { class: "component-description muted" }, descriptions.get(c.name)) : null),
      h("div", { class: "component-bars" },
        h("div", { class: "bar-row" },
          h("span", { class: "bar-label" }, "Score"),
          h("span", { class: "bar", attrs: { "aria-hidden": "true" } }, scoreFill),
          h("span", { class: "bar-value" }, included ? fmt.score(c.score) : "no data")),
        h("div", { class: "bar-row" },
          h("span", { class: "bar-label" }, "Weight"),
          h("span", { class: "bar", attrs: { "aria-hidden": "true" } }, weightFill),
          h("span", { class: "bar-value" }, included ? `${fmt.integer(share)} %` : "not counted")))));
  }
  return panel("Health components", "components", list,
    h("p", { class: "panel-note muted" }, "Weight is the component's share of the score; components without data are left out and the others re-weighted."));
}

function bandOf(score, scorecard) {
  const red = scorecard?.bands?.red ?? 40;
  const yellow = scorecard?.bands?.yellow ?? 70;
  return score < red ? "red" : score < yellow ? "yellow" : "green";
}

function clamp(v, lo, hi) {
  return Math.min(hi, Math.max(lo, Number.isFinite(v) ? v : lo));
}

function detailsPanel(view) {
  const counts = view.signalCounts ?? {};
  const row = (label, value) => [h("dt", null, label), h("dd", null, value)];
  return panel("Account", "details",
    h("dl", { class: "details" },
      row("Owner", view.owner || "—"),
      row("Segment", view.segment || "—"),
      row("Seats", view.seats ? fmt.integer(view.seats) : "—"),
      row("Renewal", view.renewalDate
        ? [fmt.dateOnly(view.renewalDate), " ", h("span", { class: "muted" }, `(${fmt.renewalHint(view.renewalDate)})`)]
        : "—"),
      row("Last signal", view.lastSignalAt ? relativeTime(view.lastSignalAt) : "—")),
    h("h3", { class: "panel-subtitle" }, "Signals received"),
    h("ul", { class: "signal-counts" },
      countTile("Usage events", counts.usage),
      countTile("Ticket events", counts.ticket),
      countTile("Survey answers", counts.survey),
      countTile("Revenue updates", counts.revenue)));
}

function countTile(label, value) {
  return h("li", { class: "count-tile" },
    h("span", { class: "count-value" }, fmt.integer(value ?? 0)),
    h("span", { class: "count-label muted" }, label));
}

function historyPanel(accountId, scorecard, signal, isDisposed) {
  const chartArea = h("div", { class: "chart-area" }, h("p", { class: "loading" }, "Loading history…"));
  const buttons = RANGES.map((r) => h("button", {
    type: "button",
    class: ["button", "button-segment"],
    attrs: { "aria-pressed": String(r.days === rangeDays) },
    on: {
      click: () => {
        rangeDays = r.days;
        for (const [i, b] of buttons.entries()) b.setAttribute("aria-pressed", String(RANGES[i].days === rangeDays));
        load();
      },
    },
  }, r.label));
  let request = 0;
  const load = async () => {
    const mine = ++request;
    const to = new Date();
    const from = new Date(to.getTime() - rangeDays * 86_400_000);
    let result = null;
    try {
      result = await api.history(accountId, from, to, { signal });
    } catch (err) {
      if (err?.name === "AbortError") return;
      result = null;
    }
    if (isDisposed() || mine !== request) return;
    const points = Array.isArray(result?.points) ? result.points : [];
    if (points.length === 0) {
      replace(chartArea, h("div", { class: "empty-state empty-small" }, h("p", null, "No history yet")));
      return;
    }
    replace(chartArea, historyChart(points, { from, to, bands: scorecard?.bands }));
  };
  load();
  return panel("Score history", "history",
    h("div", { class: "segmented", attrs: { role: "group", "aria-label": "History range" } }, buttons),
    chartArea);
}

/** The latest signals the account applied, newest first (the server keeps the last 20). */
function signalsPanel(signals) {
  if (signals.length === 0) {
    return panel("Recent signals", "signals", h("p", { class: "muted" }, "No signals yet."));
  }
  return panel("Recent signals", "signals",
    h("ol", { class: "signals" }, signals.map((s) =>
      h("li", { class: "signal" },
        h("span", { class: ["signal-type", `signal-type-${["usage", "ticket", "survey", "revenue"].includes(s.type) ? s.type : "other"}`] }, fmt.capitalize(s.type)),
        " ",
        h("span", { class: "signal-summary" }, s.summary),
        h("span", { class: "signal-meta muted" }, " · ", relativeTime(s.timestamp), " · ", h("code", null, s.id))))));
}

function changesPanel(changes) {
  if (changes.length === 0) {
    return panel("Recent changes", "changes", h("p", { class: "muted" }, "No score changes yet."));
  }
  const SHOWN = 6;
  const list = h("ol", { class: "changes" });
  for (const [i, c] of changes.entries()) {
    const direction = fmt.deltaDirection((c.after ?? 0) - (c.before ?? 0));
    const componentChanges = (c.components ?? []).filter((x) => x.before !== x.after);
    list.append(h("li", { class: ["change", `change-${direction}`], hidden: i >= SHOWN },
      h("p", { class: "change-reason" }, c.reason || "Score recalculated"),
      h("p", { class: "change-meta muted" },
        relativeTime(c.at),
        " · ",
        h("span", { class: "change-scores" },
          h("span", { class: "visually-hidden" }, "Score "),
          fmt.score(c.before), h("span", { attrs: { "aria-hidden": "true" } }, " → "), h("span", { class: "visually-hidden" }, " to "), fmt.score(c.after)),
        c.bandBefore !== c.bandAfter ? [" · ", bandChip(c.bandBefore, "chip-small"), h("span", { attrs: { "aria-hidden": "true" } }, " → "), bandChip(c.bandAfter, "chip-small")] : null,
        " · ",
        `${fmt.capitalize(c.signalType)} signal`),
      componentChanges.length > 0
        ? h("details", { class: "change-details" },
          h("summary", null, `Components (${componentChanges.length})`),
          h("ul", null, componentChanges.map((x) =>
            h("li", null, h("span", { class: "change-component" }, fmt.capitalize(x.name)), ": ", fmt.score(x.before), " → ", fmt.score(x.after)))))
        : null));
  }
  let more = null;
  if (changes.length > SHOWN) {
    more = h("button", {
      type: "button",
      class: "button button-quiet show-more",
      attrs: { "aria-expanded": "false" },
      on: {
        click: () => {
          const expand = more.getAttribute("aria-expanded") !== "true";
          [...list.children].forEach((li, i) => { li.hidden = !expand && i >= SHOWN; });
          more.setAttribute("aria-expanded", String(expand));
          more.textContent = expand ? "Show fewer" : `Show all ${changes.length} changes`;
        },
      },
    }, `Show all ${changes.length} changes`);
  }
  return panel("Recent changes", "changes", list, more);
}
