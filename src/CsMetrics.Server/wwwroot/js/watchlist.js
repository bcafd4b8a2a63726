// The watchlist screen: a picker of watchlists and a live table of the chosen one.

import { api, ApiError } from "./api.js";
import { h, replace } from "./dom.js";
import { sparkline } from "./charts.js";
import * as fmt from "./format.js";

const BUILT_IN_ORDER = ["at-risk", "dropping", "renewals-90d", "silent"];
const reducedMotion = window.matchMedia("(prefers-reduced-motion: reduce)");

/** Built-ins first (in their documented order), then the saved ones by name. */
export function orderWatchlists(list) {
  const rank = (w) => {
    const i = BUILT_IN_ORDER.indexOf(w.id);
    return w.builtIn ? (i >= 0 ? i : BUILT_IN_ORDER.length) : BUILT_IN_ORDER.length + 1;
  };
  return [...list].sort((a, b) => rank(a) - rank(b) || String(a.name ?? a.id).localeCompare(String(b.name ?? b.id)) || cmpOrdinal(a.id, b.id));
}

function cmpOrdinal(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}

function num(v) {
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

/** Ascending with nulls last. */
function cmpNullable(a, b) {
  if (a === null && b === null) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The watchlist's sort, as the server applies it: worst first, ties by score, then account id. */
export function comparator(sort) {
  const byScore = (a, b) => cmpNullable(num(a.score), num(b.score));
  const byId = (a, b) => cmpOrdinal(a.accountId, b.accountId);
  switch (sort) {
    case "drop7d":
      return (a, b) => cmpNullable(num(a.delta7d), num(b.delta7d)) || byScore(a, b) || byId(a, b);
    case "renewal":
      return (a, b) => cmpNullable(fmt.parseDateOnly(a.renewalDate)?.getTime() ?? null, fmt.parseDateOnly(b.renewalDate)?.getTime() ?? null) || byScore(a, b) || byId(a, b);
    default:
      return (a, b) => byScore(a, b) || byId(a, b);
  }
}

/** What the row shows; a change in this means the row flashes. */
function signature(e) {
  return JSON.stringify([e.name, e.owner, e.segment, e.score, e.band, e.delta7d, e.renewalDate, e.reason, e.trend, e.overridden]);
}

export function bandChip(band, extraClass) {
  const b = fmt.BANDS.includes(band) ? band : "none";
  return h("span", { class: ["chip", `chip-${b}`, extraClass], title: fmt.bandMeaning(band) },
    h("span", { class: "chip-icon", attrs: { "aria-hidden": "true" } }),
    fmt.bandLabel(band));
}

export function relativeTime(iso) {
  if (!iso) return h("span", { class: "muted" }, "—");
  return h("time", { dateTime: iso, title: fmt.dateTime(iso), dataset: { relative: iso } }, fmt.timeAgo(iso));
}

export function accountHref(accountId) {
  return `#/account/${encodeURIComponent(accountId)}`;
}

export function watchlistHref(id) {
  return `#/watchlist/${encodeURIComponent(id)}`;
}

/**
 * Renders the watchlist screen into `root` and starts following the watchlist.
 * Returns a dispose function.
 */
export function showWatchlist(root, watchlistId, live, onDefinition) {
  const abort = new AbortController();
  let disposed = false;
  let table = null;

  const picker = h("nav", { class: "picker", attrs: { "aria-label": "Watchlists" } });
  const header = h("div", { class: "view-header" });
  const body = h("div", { class: "view-body" }, h("p", { class: "loading" }, "Loading watchlists…"));
  replace(root, h("section", { class: "watchlist-view", attrs: { "aria-labelledby": "view-title" } }, picker, header, body));

  (async () => {
    let defs;
    try {
      defs = orderWatchlists((await api.watchlists({ signal: abort.signal }))?.watchlists ?? []);
    } catch (err) {
      if (disposed || err?.name === "AbortError") return;
      replace(header, h("h1", { id: "view-title" }, "Watchlists"));
      replace(body, errorPanel(err, "The watchlists could not be loaded."));
      return;
    }
    if (disposed) return;
    renderPicker(picker, defs, watchlistId);
    const def = defs.find((d) => d.id === watchlistId);
    if (!def) {
      replace(header, h("h1", { id: "view-title" }, "Watchlist not found"));
      replace(body, h("div", { class: "empty-state" },
        h("p", null, "There is no watchlist with the id ", h("code", null, watchlistId), "."),
        h("p", null, h("a", { href: watchlistHref("at-risk") }, "Open the At risk watchlist"))));
      return;
    }

    onDefinition?.(def);
    const count = h("span", { class: "count" });
    const updated = h("span", { class: "updated muted" });
    replace(header,
      h("div", { class: "view-title-row" },
        h("h1", { id: "view-title" }, def.name ?? def.id),
        count),
      h("p", { class: "view-description muted" }, fmt.describeWatchlist(def), " · ", updated));

    table = new LiveTable(def, { count, updated });
    replace(body, table.element);

    let haveHubSnapshot = false;
    live.follow(def.id, {
      snapshot(entries) {
        haveHubSnapshot = true;
        table.setSnapshot(entries, "hub");
      },
      changes(changes, version) {
        table.applyChanges(changes, version);
      },
      error(err) {
        table.showError(`Live updates for this watchlist failed: ${err?.message ?? err}`);
      },
    });

    // A plain HTTP snapshot paints the list at once, also when the live connection is down;
    // once the hub's snapshot has arrived it is ignored.
    try {
      const snapshot = await api.watchlist(def.id, { signal: abort.signal });
      if (!disposed && !haveHubSnapshot) table.setSnapshot(snapshot?.entries ?? [], "http");
    } catch (err) {
      if (disposed || err?.name === "AbortError") return;
      if (!haveHubSnapshot) table.showError(errorText(err, "The watchlist could not be loaded."));
    }
  })();

  return () => {
    disposed = true;
    abort.abort();
    live.unfollow();
    table?.dispose();
  };
}

function renderPicker(nav, defs, currentId) {
  const list = h("ul", { class: "picker-list" });
  let customStarted = false;
  for (const def of defs) {
    const current = def.id === currentId;
    const item = h("li", { class: ["picker-item", !def.builtIn && !customStarted && "picker-first-custom"] },
      h("a", {
        href: watchlistHref(def.id),
        class: ["picker-link", current && "is-current"],
        attrs: { "aria-current": current ? "page" : null },
        title: fmt.describeWatchlist(def),
      }, def.name ?? def.id));
    if (!def.builtIn) customStarted = true;
    list.append(item);
  }
  replace(nav, list);
}

export function errorText(err, fallback) {
  if (err instanceof ApiError) {
    if (err.status === 403) return "This key is not allowed to read the dashboard (it needs the read scope).";
    if (err.status === 0) return err.message;
    return `${fallback} (${err.status}${err.title ? ` ${err.title}` : ""})`;
  }
  return fallback;
}

export function errorPanel(err, fallback) {
  return h("div", { class: "error-panel", attrs: { role: "alert" } }, errorText(err, fallback));
}

const COLUMNS = [
  { key: "account", label: "Account", sort: null },
  { key: "band", label: "Band", sort: null },
  { key: "score", label: "Score", sort: "score", numeric: true },
  { key: "delta", label: "7-day change", sort: "drop7d" },
  { key: "owner", label: "Owner" },
  { key: "segment", label: "Segment" },
  { key: "renewal", label: "Renewal", sort: "renewal" },
  { key: "reason", label: "Latest change" },
];

/** The live table: keyed rows, sorted client-side, with enter/leave/change animations. */
class LiveTable {
  constructor(def, { count, updated }) {
    this.def = def;
    this.compare = comparator(def.sort);
    this.countEl = count;
    this.updatedEl = updated;
    /** accountId → entry */
    this.entries = new Map();
    /** accountId → <tr> (rows that are leaving are not in here) */
    this.rows = new Map();
    /** accountId → <tr> still fading out */
    this.leaving = new Map();
    this.loaded = false;
    this.timers = new Set();

    const sortKey = def.sort ?? "score";
    this.tbody = h("tbody");
    this.table = h("table", { class: "watchlist-table" },
      h("caption", { class: "visually-hidden" }, `${def.name ?? def.id}: ${fmt.describeWatchlist(def)}`),
      h("thead", null, h("tr", null, COLUMNS.map((c) =>
        h("th", {
          scope: "col",
          class: [`col-${c.key}`, c.numeric && "numeric"],
          attrs: { "aria-sort": c.sort === sortKey ? "ascending" : null },
        }, c.label, c.sort === sortKey ? h("span", { class: "sort-mark", attrs: { "aria-hidden": "true" } }, " ▲") : null)))),
      this.tbody);
    this.tableWrap = h("div", { class: "table-wrap" }, this.table);
    this.status = h("div", { class: "table-status", attrs: { role: "status", "aria-live": "polite" } });
    this.empty = h("div", { class: "empty-state", hidden: true },
      h("p", { class: "empty-title" }, "No accounts in this watchlist"),
      h("p", { class: "muted" }, "Accounts appear here as soon as they match: ", fmt.describeFilter(def), "."));
    this.loading = h("p", { class: "loading" }, "Loading accounts…");
    this.element = h("div", { class: "live-table" }, this.status, this.loading, this.empty, this.tableWrap);
    this.tableWrap.hidden = true;
    this.countEl.textContent = "";
  }

  dispose() {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  showError(text) {
    replace(this.status, h("span", { class: "error-inline" }, text));
  }

  /** `source` ("hub" or "http") is exposed as data-source, for tests and debugging. */
  setSnapshot(entries, source) {
    const next = new Map();
    for (const e of entries) {
      if (e && typeof e.accountId === "string") next.set(e.accountId, e);
    }
    const changes = [];
    for (const id of this.entries.keys()) {
      if (!next.has(id)) changes.push({ op: "remove", accountId: id, entry: null });
    }
    for (const [id, e] of next) changes.push({ op: "upsert", accountId: id, entry: e });
    this.status.replaceChildren();
    const initial = !this.loaded;
    this.loaded = true;
    this.element.dataset.source = source;
    this.apply(changes, initial);
  }

  applyChanges(changes, version) {
    this.element.dataset.version = String(version);
    this.apply(changes, false);
  }

  apply(changes, initial) {
    const before = this.measure();
    for (const change of changes) {
      const id = change?.accountId;
      if (typeof id !== "string") continue;
      if (change.op === "remove" || !change.entry) {
        if (this.entries.delete(id)) this.leave(id);
        continue;
      }
      const entry = change.entry;
      const old = this.entries.get(id);
      this.entries.set(id, entry);
      const row = this.rows.get(id);
      if (!row) {
        this.rows.set(id, this.createRow(entry, initial ? null : "row-enter"));
      } else if (signature(old) !== signature(entry)) {
        this.fillRow(row, entry);
        const direction = fmt.deltaDirection((num(entry.score) ?? 0) - (num(old?.score) ?? 0));
        this.flash(row, direction === "down" ? "row-worse" : direction === "up" ? "row-better" : "row-changed");
      }
    }
    this.order();
    this.animateMoves(before);
    this.refreshChrome();
  }

  /** Rows in display order: the sorted entries, with leaving rows kept where they were. */
  order() {
    const sorted = [...this.entries.values()].sort(this.compare).map((e) => this.rows.get(e.accountId));
    const current = [...this.tbody.children];
    const desired = [...sorted];
    current.forEach((row, index) => {
      if (row.classList.contains("row-leave")) desired.splice(Math.min(index, desired.length), 0, row);
    });
    // Moving a node blurs whatever inside it had focus; put the focus back afterwards.
    const focused = this.tbody.contains(document.activeElement) ? document.activeElement : null;
    desired.forEach((row, i) => {
      const at = this.tbody.children[i];
      if (at !== row) this.tbody.insertBefore(row, at ?? null);
    });
    if (focused && focused.isConnected && document.activeElement !== focused) focused.focus({ preventScroll: true });
  }

  measure() {
    const tops = new Map();
    if (reducedMotion.matches) return tops;
    for (const [id, row] of this.rows) {
      if (row.isConnected) tops.set(id, row.getBoundingClientRect().top);
    }
    return tops;
  }

  /** FLIP: rows that moved slide from their old place to the new one. */
  animateMoves(before) {
    if (before.size === 0) return;
    const moved = [];
    for (const [id, top] of before) {
      const row = this.rows.get(id);
      if (!row || !row.isConnected) continue;
      const dy = top - row.getBoundingClientRect().top;
      if (Math.abs(dy) < 1) continue;
      row.classList.remove("row-moving");
      row.style.transform = `translateY(${dy}px)`;
      moved.push(row);
    }
    if (moved.length === 0) return;
    void this.tbody.offsetHeight; // commit the start positions
    for (const row of moved) {
      row.classList.add("row-moving");
      row.style.transform = "";
      row.addEventListener("transitionend", () => row.classList.remove("row-moving"), { once: true });
    }
  }

  createRow(entry, animation) {
    this.leaving.get(entry.accountId)?.remove();
    this.leaving.delete(entry.accountId);
    const row = h("tr", { dataset: { accountId: entry.accountId } });
    this.fillRow(row, entry);
    if (animation) this.flash(row, animation);
    return row;
  }

  fillRow(row, e) {
    const direction = fmt.deltaDirection(e.delta7d);
    const renewalDays = fmt.daysUntil(e.renewalDate);
    replace(row,
      h("th", { scope: "row", class: "col-account" },
        h("a", { href: accountHref(e.accountId), class: "account-link" }, e.name || e.accountId),
        e.name && e.name !== e.accountId ? h("span", { class: "account-id muted" }, e.accountId) : null),
      h("td", { class: "col-band" }, bandChip(e.band),
        e.overridden ? h("span", { class: "override-tag", title: "Set by a manual override; the account page shows why" }, "override") : null),
      h("td", { class: "col-score numeric" }, h("span", { class: "score-value" }, fmt.score(e.score))),
      h("td", { class: "col-delta" },
        h("span", { class: "delta-cell" },
          h("span", { class: ["delta", `delta-${direction}`] },
            h("span", { class: "visually-hidden" }, "Change over 7 days: "),
            fmt.delta(e.delta7d)),
          sparkline(e.trend, direction, e.score, e.delta7d))),
      h("td", { class: "col-owner" }, e.owner || h("span", { class: "muted" }, "—"),
        e.segment ? h("span", { class: "owner-segment muted" }, e.segment) : null),
      h("td", { class: "col-segment" }, e.segment || h("span", { class: "muted" }, "—")),
      h("td", { class: ["col-renewal", renewalDays !== null && renewalDays <= 30 && "renewal-soon"] },
        e.renewalDate
          ? [h("span", { class: "renewal-date" }, fmt.dateOnly(e.renewalDate)), h("span", { class: "renewal-hint muted" }, fmt.renewalHint(e.renewalDate))]
          : h("span", { class: "muted" }, "—")),
      h("td", { class: "col-reason" },
        e.reason ? h("span", { class: "reason", title: e.reason }, e.reason) : h("span", { class: "muted" }, "—"),
        e.updatedAt ? h("span", { class: "reason-time muted" }, relativeTime(e.updatedAt)) : null));
  }

  flash(row, cls) {
    if (reducedMotion.matches && cls !== "row-leave") return;
    row.classList.remove("row-enter", "row-changed", "row-worse", "row-better");
    void row.offsetWidth; // restart the animation
    row.classList.add(cls);
    const done = () => row.classList.remove(cls);
    row.addEventListener("animationend", done, { once: true });
    const t = setTimeout(() => { this.timers.delete(t); done(); }, 2500);
    this.timers.add(t);
  }

  leave(id) {
    const row = this.rows.get(id);
    this.rows.delete(id);
    if (!row) return;
    if (reducedMotion.matches || !row.isConnected) {
      row.remove();
      return;
    }
    row.classList.remove("row-enter", "row-changed", "row-worse", "row-better");
    row.classList.add("row-leave");
    row.dataset.leaving = "true";
    this.leaving.set(id, row);
    let removed = false;
    const remove = () => {
      if (removed) return;
      removed = true;
      if (this.leaving.get(id) === row) this.leaving.delete(id);
      row.remove();
      this.refreshChrome();
    };
    row.addEventListener("animationend", remove, { once: true });
    const t = setTimeout(() => { this.timers.delete(t); remove(); }, 800);
    this.timers.add(t);
  }

  refreshChrome() {
    const n = this.entries.size;
    this.loading.hidden = this.loaded || n > 0;
    this.countEl.textContent = this.loaded || n > 0 ? `${n} ${n === 1 ? "account" : "accounts"}` : "";
    this.empty.hidden = !(this.loaded && n === 0 && this.tbody.children.length === 0);
    this.tableWrap.hidden = this.tbody.children.length === 0;
    const now = new Date().toISOString();
    replace(this.updatedEl, "updated ", relativeTime(now));
  }
}
