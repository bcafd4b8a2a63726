// Small SVG charts, built with createElementNS: a table-row sparkline and the score history.

import { svg } from "./dom.js";
import { score as fmtScore, shortDate, dateTime, bandLabel } from "./format.js";

const DEFAULT_BANDS = { red: 40, yellow: 70 };

/**
 * A sparkline of the 7-day trend (daily closes plus now). The y axis is fixed to the data's own
 * range (at least 10 points tall) so small wobbles stay small.
 */
export function sparkline(values, direction, current, delta7d) {
  let points = (Array.isArray(values) ? values : []).filter((v) => typeof v === "number" && Number.isFinite(v));
  // A young account has no daily closes yet; its 7-day change still says where it started.
  if (points.length < 2 && Number.isFinite(current) && Number.isFinite(delta7d)) {
    points = [current - delta7d, current];
  }
  const width = 84;
  const height = 24;
  const pad = 3;
  const root = svg("svg", {
    class: ["sparkline", `sparkline-${direction}`],
    viewBox: `0 0 ${width} ${height}`,
    width,
    height,
    role: "img",
    focusable: "false",
  });
  if (points.length === 0) {
    root.append(svg("title", null, "No trend yet"));
    root.append(svg("line", { class: "sparkline-empty", x1: pad, x2: width - pad, y1: height / 2, y2: height / 2 }));
    return root;
  }
  root.append(svg("title", null, `Last 7 days: ${points.map(fmtScore).join(" → ")}`));
  let min = Math.min(...points);
  let max = Math.max(...points);
  if (max - min < 10) {
    const mid = (max + min) / 2;
    min = mid - 5;
    max = mid + 5;
  }
  const x = (i) => (points.length === 1 ? width - pad : pad + (i * (width - 2 * pad)) / (points.length - 1));
  const y = (v) => pad + ((max - v) * (height - 2 * pad)) / (max - min);
  const coords = points.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
  root.append(svg("polyline", { class: "sparkline-line", points: coords }));
  const last = points.length - 1;
  root.append(svg("circle", { class: "sparkline-dot", cx: x(last).toFixed(1), cy: y(points[last]).toFixed(1), r: 2.5 }));
  return root;
}

/**
 * The score history as a line chart on a 0–100 scale, with the band zones shaded behind it.
 * @param {{at: string, score: number|null, band: string|null}[]} points  in time order
 * @param {{from: Date, to: Date, bands?: {red:number, yellow:number}}} options
 */
export function historyChart(points, { from, to, bands = DEFAULT_BANDS }) {
  const width = 1000;
  const height = 260;
  const m = { top: 12, right: 64, bottom: 28, left: 36 };
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  const t0 = from.getTime();
  const t1 = Math.max(to.getTime(), t0 + 1);
  const x = (t) => m.left + (Math.min(Math.max(t, t0), t1) - t0) * plotW / (t1 - t0);
  const y = (v) => m.top + ((100 - v) * plotH) / 100;

  const data = points
    .map((p) => ({ t: new Date(p.at).getTime(), v: p.score, band: p.band, at: p.at }))
    .filter((p) => Number.isFinite(p.t) && typeof p.v === "number" && Number.isFinite(p.v))
    .sort((a, b) => a.t - b.t);

  const first = data[0];
  const last = data[data.length - 1];
  const summary = data.length === 0
    ? "No scored points in this period."
    : `Score history from ${dateTime(first.at)} to ${dateTime(last.at)}: ${data.length} points, ` +
      `from ${fmtScore(first.v)} to ${fmtScore(last.v)}, lowest ${fmtScore(Math.min(...data.map((d) => d.v)))}.`;

  const root = svg("svg", {
    class: "history-chart",
    viewBox: `0 0 ${width} ${height}`,
    role: "img",
    preserveAspectRatio: "xMidYMid meet",
  });
  root.append(svg("title", null, "Health score history"));
  root.append(svg("desc", null, summary));

  // Band zones.
  const zones = [
    ["green", bands.yellow, 100],
    ["yellow", bands.red, bands.yellow],
    ["red", 0, bands.red],
  ];
  for (const [band, lo, hi] of zones) {
    root.append(svg("rect", { class: `zone zone-${band}`, x: m.left, width: plotW, y: y(hi), height: Math.max(0, y(lo) - y(hi)) }));
  }

  // Y grid and labels.
  for (const v of [0, 25, 50, 75, 100]) {
    root.append(svg("line", { class: "grid", x1: m.left, x2: m.left + plotW, y1: y(v), y2: y(v) }));
    root.append(svg("text", { class: "axis-label", x: m.left - 6, y: y(v) + 4, "text-anchor": "end" }, String(v)));
  }
  for (const [band, , hi] of zones) {
    root.append(svg("text", { class: `zone-label zone-label-${band}`, x: m.left + plotW + 8, y: y(hi) + 13, "text-anchor": "start" }, bandLabel(band)));
  }

  // X ticks: about five dates.
  const ticks = 5;
  for (let i = 0; i <= ticks; i++) {
    const t = t0 + ((t1 - t0) * i) / ticks;
    const anchor = i === 0 ? "start" : i === ticks ? "end" : "middle";
    root.append(svg("line", { class: "tick", x1: x(t), x2: x(t), y1: m.top + plotH, y2: m.top + plotH + 4 }));
    root.append(svg("text", { class: "axis-label", x: x(t), y: height - 8, "text-anchor": anchor }, shortDate(new Date(t))));
  }

  if (data.length > 0) {
    // A step line: a score holds until the next change.
    let d = `M${x(data[0].t).toFixed(1)},${y(data[0].v).toFixed(1)}`;
    for (let i = 1; i < data.length; i++) {
      d += ` H${x(data[i].t).toFixed(1)} V${y(data[i].v).toFixed(1)}`;
    }
    d += ` H${x(Math.min(t1, Date.now())).toFixed(1)}`;
    root.append(svg("path", { class: "history-line", d }));
    const shown = data.length > 60 ? [data[data.length - 1]] : data;
    for (const p of shown) {
      const dot = svg("circle", { class: `history-dot dot-${p.band ?? "none"}`, cx: x(p.t).toFixed(1), cy: y(p.v).toFixed(1), r: 3.5 });
      dot.append(svg("title", null, `${dateTime(p.at)}: ${fmtScore(p.v)} (${bandLabel(p.band)})`));
      root.append(dot);
    }
  }
  return root;
}

/**
 * MRR movements as horizontal bars around zero: gains (new, expansion, reactivation) to the
 * right, losses (contraction, churn) to the left, each labelled with its amount.
 * @param {{key: string, label: string, value: number|null, sign: 1|-1}[]} movements
 */
export function movementsChart(movements) {
  const width = 1000;
  const rowH = 34;
  const m = { top: 8, left: 130, right: 130 };
  const height = m.top * 2 + rowH * movements.length;
  const values = movements.map((mv) => (typeof mv.value === "number" && Number.isFinite(mv.value) ? Math.abs(mv.value) : 0));
  const max = Math.max(1, ...values);
  // Room for a value label beyond the longest bar on either side, so a full-length loss bar's
  // label never runs into the category names on the left.
  const labelRoom = 110;
  const half = (width - m.left - m.right) / 2 - labelRoom;
  const zero = m.left + labelRoom + half;
  const money = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
  // A zero movement carries no sign.
  const signed = (mv, v) => `${v === 0 ? "" : mv.sign < 0 ? "−" : "+"}${money.format(v)}`;
  const root = svg("svg", { class: "movements-chart", viewBox: `0 0 ${width} ${height}`, role: "img", preserveAspectRatio: "xMidYMid meet" });
  root.append(svg("title", null, "MRR movements"));
  root.append(svg("desc", null, movements.map((mv, i) => `${mv.label}: ${signed(mv, values[i])}`).join(", ")));
  root.append(svg("line", { class: "grid", x1: zero, x2: zero, y1: 0, y2: height }));
  movements.forEach((mv, i) => {
    const y = m.top + i * rowH;
    const w = (values[i] / max) * half;
    const x = mv.sign < 0 ? zero - w : zero;
    root.append(svg("text", { class: "axis-label", x: m.left - 12, y: y + rowH / 2 + 4, "text-anchor": "end" }, mv.label));
    const bar = svg("rect", { class: ["movement-bar", `movement-${mv.key}`, mv.sign < 0 ? "movement-loss" : "movement-gain"], x: x.toFixed(1), y: y + 6, width: Math.max(w, 1).toFixed(1), height: rowH - 12, rx: 3 });
    bar.append(svg("title", null, `${mv.label}: ${money.format(values[i])}`));
    root.append(bar);
    const labelX = mv.sign < 0 ? x - 8 : x + w + 8;
    root.append(svg("text", { class: "movement-value", x: labelX.toFixed(1), y: y + rowH / 2 + 4, "text-anchor": mv.sign < 0 ? "end" : "start" },
      signed(mv, values[i])));
  });
  return root;
}
