// The metrics page: the customer success KPIs for a period as tiles with their trend against the
// previous period of equal length, the MRR movements, NPS split by tenure and segment, top ticket
// tags, voice-of-the-customer themes (a click shows the comments) and, for admin keys, the
// calibration of the health score against real churn. Field names: docs/metrics.md, docs/voc.md,
// docs/calibration.md.

import { getJson, ApiError } from "./api.js";
import { h, replace } from "./dom.js";
import { movementsChart } from "./charts.js";
import { errorPanel, accountHref } from "./watchlist.js";
import * as fmt from "./format.js";

const PERIODS = [30, 90, 365];
const DAY_MS = 86_400_000;

let periodDays = 30;

/**
 * The tiles: where the value is in the response, how to show it, and which way is better
 * (a falling churn is good news, a falling NPS is not).
 */
const TILES = [
  { group: "sentiment", key: "nps", label: "NPS", format: "number", better: "up" },
  { group: "sentiment", key: "csat", label: "CSAT", format: "percentValue", better: "up" },
  { group: "sentiment", key: "ces", label: "CES", format: "number", better: "up" },
  { group: "support", key: "firstResponseMedianMinutes", label: "First response (median)", format: "minutes", better: "down" },
  { group: "support", key: "fcrRate", label: "First contact resolution", format: "rate", better: "up" },
  { group: "engagement", key: "stickiness", label: "Stickiness (DAU/MAU)", format: "rate", better: "up" },
  { group: "revenue", key: "mrrEnd", label: "MRR", format: "money", better: "up" },
  { group: "revenue", key: "nrr", label: "NRR", format: "rate", better: "up" },
  { group: "revenue", key: "grr", label: "GRR", format: "rate", better: "up" },
  { group: "revenue", key: "netMrrChurn", label: "Net MRR churn", format: "rate", better: "down" },
  { group: "revenue", key: "logoChurn", label: "Logo churn", format: "rate", better: "down" },
  { group: "revenue", key: "clv", label: "CLV", format: "money", better: "up" },
];

const numberFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });
const moneyFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });

function isNumber(v) {
  return typeof v === "number" && Number.isFinite(v);
}

function formatValue(value, format) {
  if (!isNumber(value)) return "—";
  switch (format) {
    case "rate": return `${numberFormat.format(value * 100)} %`;
    case "percentValue": return `${numberFormat.format(value)} %`;
    case "minutes": return `${numberFormat.format(value)} min`;
    case "money": return moneyFormat.format(value);
    default: return numberFormat.format(value);
  }
}

/** The change shown under a tile: percentage points for rates, the unit's own for the rest. */
function formatChange(change, format) {
  if (!isNumber(change)) return "—";
  const scaled = format === "rate" ? change * 100 : change;
  const unit = format === "rate" ? " pp" : format === "percentValue" ? " pp" : format === "minutes" ? " min" : "";
  return `${fmt.delta(scaled)}${unit}`;
}

/** [from, to] as yyyy-MM-dd (both inclusive), `days` long, ending `endOffset` days before today (UTC). */
function period(days, endOffset = 0) {
  const today = new Date(Math.floor(Date.now() / DAY_MS) * DAY_MS);
  const to = new Date(today.getTime() - endOffset * DAY_MS);
  const from = new Date(to.getTime() - (days - 1) * DAY_MS);
  const iso = (d) => d.toISOString().slice(0, 10);
  return { from: iso(from), to: iso(to), fromInstant: from, toExclusive: new Date(to.getTime() + DAY_MS) };
}

/** Renders the metrics page into `root`; returns a dispose function. */
export function showMetrics(root) {
  const abort = new AbortController();
  let disposed = false;
  const opts = { signal: abort.signal };

  const load = async () => {
    const current = period(periodDays);
    const previous = period(periodDays, periodDays);
    const content = h("div", { class: "metrics-grid" }, h("p", { class: "loading" }, "Loading metrics…"));
    replace(root, h("section", { class: "metrics-view", attrs: { "aria-labelledby": "view-title" } },
      h("header", { class: "metrics-header" },
        h("h1", { id: "view-title" }, "Metrics"),
        periodPicker(load),
        h("p", { class: "muted metrics-period" }, `${current.from} to ${current.to}, against ${previous.from} to ${previous.to}`)),
      content));

    const settle = (promise) => promise.then((value) => ({ value }), (error) => {
      if (error?.name === "AbortError") throw error;
      return { error };
    });
    let now, before, voc, calibration;
    try {
      [now, before, voc, calibration] = await Promise.all([
        settle(getJson(`api/v1/metrics?from=${current.from}&to=${current.to}`, opts)),
        settle(getJson(`api/v1/metrics?from=${previous.from}&to=${previous.to}`, opts)),
        settle(getJson(`api/v1/voc?from=${encodeURIComponent(current.fromInstant.toISOString())}&to=${encodeURIComponent(current.toExclusive.toISOString())}`, opts)),
        settle(getJson(`api/v1/scorecard/calibration?horizonDays=${Math.max(periodDays, 1)}`, opts)),
      ]);
    } catch {
      return; // left the page
    }
    if (disposed) return;

    const panels = [];
    if (now.error) {
      panels.push(panel("Key metrics", "kpis", errorPanel(now.error, "The metrics could not be loaded.")));
    } else {
      panels.push(kpiPanel(now.value, before.value ?? null, periodDays));
      panels.push(movementsPanel(now.value.revenue ?? {}));
      panels.push(npsPanel(now.value.sentiment ?? {}));
      panels.push(tagsPanel(now.value.support ?? {}));
    }
    panels.push(voc.error
      ? panel("Voice of the customer", "voc", errorPanel(voc.error, "The comment themes could not be loaded."))
      : vocPanel(voc.value, current, opts));
    panels.push(calibrationPanel(calibration, periodDays));
    replace(content, panels);
  };
  load();

  return () => {
    disposed = true;
    abort.abort();
  };
}

function periodPicker(reload) {
  return h("div", { class: "period-picker", attrs: { role: "group", "aria-label": "Period" } },
    PERIODS.map((days) => h("button", {
      type: "button",
      class: ["button", days === periodDays ? "button-primary" : "button-quiet"],
      attrs: { "aria-pressed": days === periodDays ? "true" : "false" },
      dataset: { days: String(days) },
      on: { click: () => { periodDays = days; reload(); } },
    }, `${days} days`)));
}

function panel(title, cls, ...content) {
  const id = `panel-${cls}`;
  return h("section", { class: ["panel", `panel-${cls}`], attrs: { "aria-labelledby": id } },
    h("h2", { id, class: "panel-title" }, title), ...content);
}

function kpiPanel(now, before, days) {
  const indicators = now.indicators ?? {};
  const tiles = TILES.map((tile) => {
    const value = now[tile.group]?.[tile.key];
    const previous = before?.[tile.group]?.[tile.key];
    const change = isNumber(value) && isNumber(previous) ? value - previous : null;
    const direction = fmt.deltaDirection(tile.format === "rate" ? (change ?? NaN) * 100 : change);
    const good = direction === "flat" || direction === "none" ? "neutral" : (direction === tile.better ? "good" : "bad");
    const kind = indicators[tile.key];
    return h("li", { class: ["kpi-tile", `kpi-${good}`], dataset: { metric: tile.key } },
      h("span", { class: "kpi-label" }, tile.label),
      h("span", { class: "kpi-value" }, formatValue(value, tile.format)),
      h("span", { class: ["kpi-trend", `delta-${direction}`], title: `Previous ${days} days: ${formatValue(previous, tile.format)}` },
        change === null ? "no previous value" : `${formatChange(change, tile.format)} vs previous ${days} days`),
      kind ? h("span", { class: ["kpi-kind", `kpi-kind-${kind}`] }, kind) : null);
  });
  return panel("Key metrics", "kpis", h("ul", { class: "kpi-tiles" }, tiles));
}

function movementsPanel(revenue) {
  return panel("MRR movements", "movements",
    h("p", { class: "muted panel-note" },
      `MRR ${formatValue(revenue.mrrStart, "money")} at the start, ${formatValue(revenue.mrrEnd, "money")} at the end.`),
    movementsChart([
      { key: "new", label: "New", value: revenue.newMrr, sign: 1 },
      { key: "expansion", label: "Expansion", value: revenue.expansionMrr, sign: 1 },
      { key: "reactivation", label: "Reactivation", value: revenue.reactivationMrr, sign: 1 },
      { key: "contraction", label: "Contraction", value: revenue.contractionMrr, sign: -1 },
      { key: "churn", label: "Churn", value: revenue.churnedMrr, sign: -1 },
    ]));
}

function table(cls, headers, rows) {
  return h("div", { class: "table-wrap" },
    h("table", { class: ["data-table", cls] },
      h("thead", null, h("tr", null, headers.map((label, i) => h("th", { class: i > 0 ? "numeric" : null, scope: "col" }, label)))),
      h("tbody", null, rows)));
}

function npsPanel(sentiment) {
  const row = (name, s, kind) => h("tr", { dataset: { split: kind } },
    h("th", { scope: "row" }, name),
    h("td", { class: "numeric" }, formatValue(s?.nps, "number")),
    h("td", { class: "numeric" }, fmt.integer(s?.npsPromoters)),
    h("td", { class: "numeric" }, fmt.integer(s?.npsPassives)),
    h("td", { class: "numeric" }, fmt.integer(s?.npsDetractors)),
    h("td", { class: "numeric" }, formatValue(s?.csat, "percentValue")));
  const tenure = sentiment.byTenure ?? {};
  const rows = [
    row("First 90 days", tenure.new, "new"),
    row("Older accounts", tenure.older, "older"),
    ...(sentiment.bySegment ?? []).map((s) => row(s.segment || "No segment", s, "segment")),
  ];
  return panel("NPS split", "nps", table("nps-table", ["", "NPS", "Promoters", "Passives", "Detractors", "CSAT"], rows));
}

function tagsPanel(support) {
  const tags = support.topTags ?? [];
  return panel("Top ticket tags", "tags", tags.length === 0
    ? h("p", { class: "muted" }, "No tagged tickets in this period.")
    : table("tags-table", ["Tag", "Tickets", "Share"], tags.map((t) => h("tr", { dataset: { tag: t.tag } },
      h("th", { scope: "row" }, t.tag),
      h("td", { class: "numeric" }, fmt.integer(t.count)),
      h("td", { class: "numeric" }, formatValue(t.share, "rate"))))));
}

function vocPanel(voc, range, opts) {
  const comments = h("div", { class: "voc-comments", attrs: { "aria-live": "polite" } });
  const showComments = async (theme) => {
    replace(comments, h("p", { class: "loading" }, `Loading comments about ${theme}…`));
    try {
      const page = await getJson(`api/v1/voc/themes/${encodeURIComponent(theme)}/comments?from=${encodeURIComponent(range.fromInstant.toISOString())}&to=${encodeURIComponent(range.toExclusive.toISOString())}&limit=20`, opts);
      replace(comments,
        h("h3", { class: "voc-comments-title" }, `“${theme}”: ${fmt.integer(page.total)} comments`, page.total > page.comments.length ? ` (newest ${page.comments.length})` : ""),
        h("ul", { class: "voc-comment-list" }, page.comments.map((c) => h("li", { class: ["voc-comment", `voc-${c.category}`] },
          h("p", { class: "voc-comment-text" }, c.comment),
          h("p", { class: "muted voc-comment-meta" },
            h("a", { href: accountHref(c.accountId) }, c.accountId), ` · ${c.category} (${c.score}) · ${fmt.dateTime(c.at)}`)))));
    } catch (err) {
      if (err?.name === "AbortError") return;
      replace(comments, errorPanel(err, "The comments could not be loaded."));
    }
  };
  const rows = (voc.themes ?? []).map((t) => h("tr", { dataset: { theme: t.theme } },
    h("th", { scope: "row" },
      h("button", { type: "button", class: "button button-link voc-theme", on: { click: () => showComments(t.theme) } }, t.theme)),
    h("td", { class: "numeric" }, fmt.integer(t.detractors)),
    h("td", { class: "numeric" }, fmt.integer(t.passives)),
    h("td", { class: "numeric" }, fmt.integer(t.promoters)),
    h("td", { class: "numeric" }, fmt.integer(t.total))));
  return panel("Voice of the customer", "voc",
    h("p", { class: "muted panel-note" }, `${fmt.integer(voc.comments)} NPS comments in this period. Choose a theme to read them.`),
    table("voc-table", ["Theme", "Detractors", "Passives", "Promoters", "Total"], rows),
    comments);
}

function calibrationPanel(result, days) {
  if (result.error) {
    const forbidden = result.error instanceof ApiError && result.error.status === 403;
    return panel("Is the health score right?", "calibration", forbidden
      ? h("p", { class: "muted" }, "Calibration against real churn is shown to admin keys.")
      : errorPanel(result.error, "The calibration could not be loaded."));
  }
  const c = result.value;
  const bandRows = (c.bandsBeforeChurn ?? []).map((b) => h("tr", { dataset: { lead: String(b.leadDays) } },
    h("th", { scope: "row" }, `${b.leadDays} days before`),
    h("td", { class: "numeric" }, fmt.integer(b.red)),
    h("td", { class: "numeric" }, fmt.integer(b.yellow)),
    h("td", { class: "numeric" }, fmt.integer(b.green)),
    h("td", { class: "numeric" }, fmt.integer(b.unknown))));
  const verdict = (auc) => !isNumber(auc) ? "not enough data" : auc >= 0.7 ? "separates well" : auc >= 0.6 ? "helps" : auc > 0.4 ? "no better than a coin" : "points the wrong way";
  const componentRows = (c.components ?? []).map((k) => h("tr", { dataset: { component: k.name } },
    h("th", { scope: "row" }, fmt.capitalize(k.name)),
    h("td", { class: "numeric" }, isNumber(k.auc) ? k.auc.toFixed(2) : "—"),
    h("td", null, verdict(k.auc))));
  const plural = (n, one, many) => `${fmt.integer(n)} ${n === 1 ? one : many}`;
  const sentences = [
    `${plural(c.churned, "account", "accounts")} churned in the last ${days} days; ${fmt.integer(c.retained)} retained${c.sampled ? " (sampled)" : ""}.`,
    isNumber(c.red?.recall) || isNumber(c.red?.precision)
      ? `Red ${days} days ago caught ${formatValue(c.red?.recall, "rate")} of the churns (recall); ${formatValue(c.red?.precision, "rate")} of red accounts churned (precision).`
      : `No band was recorded ${days} days ago for these accounts, so red cannot be judged as a predictor yet.`,
    isNumber(c.greenShare) ? `${formatValue(c.greenShare, "rate")} of churned accounts were green 30 days before.` : null,
  ];
  return panel("Is the health score right?", "calibration",
    h("p", { class: "calibration-summary" }, sentences.filter(Boolean).join(" ")),
    table("calibration-bands", ["Band before churn", "Red", "Yellow", "Green", "Unknown"], bandRows),
    componentRows.length > 0
      ? table("calibration-components", ["Component", "AUC", ""], componentRows)
      : h("p", { class: "muted" }, "No component scores were recorded at the prediction time yet."));
}
