// Formatting of scores, dates and durations. All output is plain text.

const numberFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });
const integerFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const dateFormat = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const shortDateFormat = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short" });
const relativeFormat = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });

const MINUS = "\u2212";

export const BANDS = ["red", "yellow", "green"];

export function bandLabel(band) {
  switch (band) {
    case "red": return "Red";
    case "yellow": return "Yellow";
    case "green": return "Green";
    default: return "No data";
  }
}

/** Longer wording of a band, for screen readers and tooltips. */
export function bandMeaning(band) {
  switch (band) {
    case "red": return "Red: at risk";
    case "yellow": return "Yellow: needs attention";
    case "green": return "Green: healthy";
    default: return "No score yet";
  }
}

export function score(value) {
  return typeof value === "number" && Number.isFinite(value) ? numberFormat.format(value) : "—";
}

export function integer(value) {
  return typeof value === "number" && Number.isFinite(value) ? integerFormat.format(value) : "—";
}

/** A signed change such as "+3.5", "−21.5" or "±0". */
export function delta(value) {
  if (typeof value !== "number" || !Number.isFinite(value)) return "—";
  const rounded = Math.round(value * 10) / 10;
  if (rounded === 0) return "\u00b10";
  return (rounded > 0 ? "+" : MINUS) + numberFormat.format(Math.abs(rounded));
}

export function deltaDirection(value) {
  if (typeof value !== "number" || !Number.isFinite(value)) return "none";
  const rounded = Math.round(value * 10) / 10;
  return rounded > 0 ? "up" : rounded < 0 ? "down" : "flat";
}

/** Parses "2027-03-01" as a calendar date (UTC midnight), or null. */
export function parseDateOnly(text) {
  if (typeof text !== "string") return null;
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return null;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return Number.isNaN(d.getTime()) ? null : d;
}

export function dateOnly(text) {
  const d = parseDateOnly(text);
  return d ? dateFormat.format(d) : "—";
}

/** Whole days from today (local calendar) until the date; negative when past. */
export function daysUntil(text, now = new Date()) {
  const d = parseDateOnly(text);
  if (!d) return null;
  const today = Date.UTC(now.getFullYear(), now.getMonth(), now.getDate());
  return Math.round((d.getTime() - today) / 86_400_000);
}

export function renewalHint(text) {
  const days = daysUntil(text);
  if (days === null) return "";
  if (days === 0) return "today";
  return relativeFormat.format(days, "day");
}

export function parseInstant(text) {
  if (typeof text !== "string") return null;
  const d = new Date(text);
  return Number.isNaN(d.getTime()) ? null : d;
}

export function dateTime(text) {
  const d = parseInstant(text);
  return d ? dateTimeFormat.format(d) : "—";
}

export function shortDate(date) {
  return shortDateFormat.format(date);
}

/** "3 minutes ago", "yesterday", … */
export function timeAgo(text, now = Date.now()) {
  const d = parseInstant(text);
  if (!d) return "—";
  const seconds = Math.round((d.getTime() - now) / 1000);
  const abs = Math.abs(seconds);
  if (abs < 45) return "just now";
  const units = [
    ["minute", 60, 3600],
    ["hour", 3600, 86_400],
    ["day", 86_400, 7 * 86_400],
    ["week", 7 * 86_400, 30 * 86_400],
    ["month", 30 * 86_400, 365 * 86_400],
    ["year", 365 * 86_400, Infinity],
  ];
  for (const [unit, size, limit] of units) {
    if (abs < limit) return relativeFormat.format(Math.round(seconds / size), unit);
  }
  return dateTimeFormat.format(d);
}

export function capitalize(text) {
  return typeof text === "string" && text.length > 0 ? text[0].toUpperCase() + text.slice(1) : "";
}

/** Human wording of a watchlist's filter, e.g. "band red, renews within 90 days". */
export function describeFilter(def) {
  const f = def?.filter ?? {};
  const parts = [];
  if (Array.isArray(f.bands) && f.bands.length > 0) parts.push(`band ${f.bands.join(" or ")}`);
  if (typeof f.minScore === "number") parts.push(`score ≥ ${score(f.minScore)}`);
  if (typeof f.maxScore === "number") parts.push(`score ≤ ${score(f.maxScore)}`);
  if (typeof f.minDrop7d === "number") parts.push(`fell ${score(f.minDrop7d)}+ points in 7 days`);
  if (typeof f.renewalWithinDays === "number") parts.push(`renews within ${integer(f.renewalWithinDays)} days`);
  if (typeof f.minDaysSilent === "number") parts.push(`no usage for ${integer(f.minDaysSilent)}+ days`);
  if (f.owner) parts.push(`owner ${f.owner}`);
  if (f.segment) parts.push(`segment ${f.segment}`);
  return parts.length > 0 ? parts.join(", ") : "all accounts";
}

/** Human wording of a watchlist definition's filter and sort. */
export function describeWatchlist(def) {
  if (!def) return "";
  const filter = describeFilter(def);
  const sorts = { score: "lowest score first", drop7d: "biggest 7-day drop first", renewal: "nearest renewal first" };
  return `${capitalize(filter)} · ${sorts[def.sort] ?? sorts.score}`;
}
