// CsMetrics dashboard: key prompt, hash routing (#/watchlist/<id>, #/account/<id>, #/metrics), the live
// connection indicator. Plain ES modules, no build step; see js/ for the screens.

import { getJson, getKey, setKey, clearKey, onUnauthorized, ApiError } from "./js/api.js";
import { h, replace } from "./js/dom.js";
import { LiveConnection, State } from "./js/live.js";
import { showWatchlist } from "./js/watchlist.js";
import { showAccount } from "./js/account.js";
import { showAlerts } from "./js/alerts.js";
import { showMetrics } from "./js/metrics.js";
import { timeAgo } from "./js/format.js";

const DEFAULT_ROUTE = "#/watchlist/at-risk";
const LAST_WATCHLIST = "csmetrics.lastWatchlist";

const main = document.getElementById("main");
const signOutButton = document.getElementById("sign-out");
const connectionEl = document.getElementById("connection");
const alertsEl = document.getElementById("alerts");

/** @type {LiveConnection|null} */
let live = null;
/** @type {(() => void)|null} */
let disposeView = null;
/** @type {(() => void)|null} */
let disposeAlerts = null;

// ---- connection indicator ----------------------------------------------------------------

const CONNECTION_TEXT = {
  [State.Connecting]: ["Connecting…", "Connecting to live updates"],
  [State.Live]: ["Live", "Live updates are on"],
  [State.Reconnecting]: ["Reconnecting…", "Connection lost, reconnecting; the table may be out of date"],
  [State.Offline]: ["Offline", "Live updates are off; the table may be out of date"],
};

function showConnection(state) {
  if (!state) {
    connectionEl.hidden = true;
    return;
  }
  const [label, description] = CONNECTION_TEXT[state] ?? [state, state];
  connectionEl.hidden = false;
  connectionEl.className = `connection connection-${state}`;
  connectionEl.dataset.state = state;
  connectionEl.title = description;
  replace(connectionEl,
    h("span", { class: "connection-dot", attrs: { "aria-hidden": "true" } }),
    h("span", { class: "connection-label" }, label),
    h("span", { class: "visually-hidden" }, `: ${description}`),
    state === State.Offline
      ? h("button", { type: "button", class: "button button-link", on: { click: () => live?.retryNow() } }, "Reconnect")
      : null);
  document.body.dataset.connection = state;
}

// ---- key prompt ----------------------------------------------------------------------------

function showPrompt(message) {
  disposeView?.();
  disposeView = null;
  disposeAlerts?.();
  disposeAlerts = null;
  live?.stop();
  live = null;
  showConnection(null);
  signOutButton.hidden = true;
  document.title = "Sign in · CsMetrics";

  const input = h("input", {
    id: "api-key",
    name: "api-key",
    type: "password",
    autocomplete: "off",
    spellcheck: false,
    required: true,
    attrs: { "aria-describedby": "api-key-help key-error" },
  });
  const error = h("p", { id: "key-error", class: "form-error", attrs: { role: "alert" } }, message ?? "");
  const submit = h("button", { type: "submit", class: "button button-primary" }, "Open dashboard");
  const form = h("form", { class: "signin-form", noValidate: true, on: { submit: onSubmit } },
    h("label", { htmlFor: "api-key" }, "API key"),
    input,
    h("p", { id: "api-key-help", class: "field-help muted" }, "A key with read access. It is kept only in this browser tab and forgotten when the tab closes."),
    error,
    submit);

  async function onSubmit(event) {
    event.preventDefault();
    const key = input.value.trim();
    if (!key) {
      error.textContent = "Enter your API key.";
      input.focus();
      return;
    }
    submit.disabled = true;
    submit.textContent = "Checking…";
    error.textContent = "";
    try {
      await getJson("api/v1/accounts?limit=1", { key });
    } catch (err) {
      submit.disabled = false;
      submit.textContent = "Open dashboard";
      error.textContent = err instanceof ApiError && err.status === 401
        ? "That key was not accepted. Check it and try again."
        : err instanceof ApiError && err.status === 403
          ? "That key cannot read accounts. Use a key with the read scope."
          : `Could not check the key: ${err?.message ?? err}`;
      input.select();
      input.focus();
      return;
    }
    setKey(key);
    startSession();
  }

  replace(main, h("section", { class: "signin", attrs: { "aria-labelledby": "signin-title" } },
    h("div", { class: "signin-card" },
      h("h1", { id: "signin-title" }, "Sign in to CsMetrics"),
      h("p", { class: "muted" }, "Customer health, live. Enter your API key to open the dashboard."),
      form)));
  input.focus();
}

function signOut(message) {
  clearKey();
  showPrompt(message);
}

onUnauthorized(() => signOut("Your key is no longer accepted. Please enter it again."));

signOutButton.addEventListener("click", () => signOut("You are signed out."));

// ---- session and routing ---------------------------------------------------------------------

function startSession() {
  signOutButton.hidden = false;
  live = new LiveConnection(getKey, showConnection, () => signOut("Your key is no longer accepted. Please enter it again."));
  live.start();
  disposeAlerts = showAlerts(alertsEl, live);
  route(false);
}

function lastWatchlist() {
  try {
    return JSON.parse(sessionStorage.getItem(LAST_WATCHLIST) ?? "null");
  } catch {
    return null;
  }
}

function rememberWatchlist(def) {
  try {
    sessionStorage.setItem(LAST_WATCHLIST, JSON.stringify({ id: def.id, name: def.name }));
  } catch {
    // storage unavailable
  }
}

function parseRoute(hash) {
  if (hash === "#/metrics") return { kind: "metrics", id: null };
  const m = /^#\/(watchlist|account)\/(.+)$/.exec(hash);
  if (!m) return null;
  try {
    return { kind: m[1], id: decodeURIComponent(m[2]) };
  } catch {
    return null;
  }
}

function route(moveFocus) {
  if (!getKey()) {
    showPrompt();
    return;
  }
  if (!live) {
    startSession();
    return;
  }
  const target = parseRoute(location.hash);
  if (!target) {
    location.replace(DEFAULT_ROUTE);
    return;
  }
  disposeView?.();
  disposeView = null;
  document.body.dataset.view = target.kind;
  if (target.kind === "watchlist") {
    document.title = "Watchlists · CsMetrics";
    disposeView = showWatchlist(main, target.id, live, (def) => {
      rememberWatchlist(def);
      document.title = `${def.name ?? def.id} · CsMetrics`;
    });
  } else if (target.kind === "metrics") {
    document.title = "Metrics · CsMetrics";
    disposeView = showMetrics(main);
  } else {
    document.title = "Account · CsMetrics";
    disposeView = showAccount(main, target.id, lastWatchlist());
  }
  if (moveFocus) {
    window.scrollTo(0, 0);
    main.focus({ preventScroll: true });
  }
}

window.addEventListener("hashchange", () => route(true));

// The skip link must not change the hash (the hash is the route).
document.getElementById("skip-link")?.addEventListener("click", (event) => {
  event.preventDefault();
  main.focus();
});

// Relative times ("3 minutes ago") stay true while the page is open.
setInterval(() => {
  for (const el of document.querySelectorAll("time[data-relative]")) {
    el.textContent = timeAgo(el.dataset.relative);
  }
}, 30_000);

route(false);
