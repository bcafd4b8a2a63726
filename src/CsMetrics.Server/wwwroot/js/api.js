// The HTTP API: every call carries the read key as a bearer token. A 401 anywhere signs the
// user out (the key was revoked or mistyped) and sends them back to the key prompt.

const KEY_STORAGE = "csmetrics.apiKey";

let unauthorizedHandler = () => {};

export class ApiError extends Error {
  constructor(status, title, detail) {
    super(detail || title || `HTTP ${status}`);
    this.status = status;
    this.title = title;
  }
}

export function getKey() {
  try {
    return sessionStorage.getItem(KEY_STORAGE);
  } catch {
    return null;
  }
}

export function setKey(key) {
  sessionStorage.setItem(KEY_STORAGE, key);
}

export function clearKey() {
  try {
    sessionStorage.removeItem(KEY_STORAGE);
  } catch {
    // storage unavailable: nothing to clear
  }
}

export function onUnauthorized(handler) {
  unauthorizedHandler = handler;
}

/** Resolves a path such as "api/v1/watchlists" against the page, so a path base keeps working. */
export function url(path) {
  return new URL(path, document.baseURI).toString();
}

/**
 * GET a JSON document. Resolves to the parsed body for 2xx; rejects with ApiError otherwise.
 * `options.key` overrides the stored key (used to test a key before storing it);
 * `options.signal` aborts.
 */
export async function getJson(path, options = {}) {
  const key = options.key ?? getKey();
  let response;
  try {
    response = await fetch(url(path), {
      headers: { Accept: "application/json", Authorization: `Bearer ${key ?? ""}` },
      cache: "no-store",
      signal: options.signal,
    });
  } catch (err) {
    if (err?.name === "AbortError") throw err;
    throw new ApiError(0, "Network error", "The server could not be reached. Check the connection and try again.");
  }
  if (response.ok) {
    return response.status === 204 ? null : response.json();
  }
  let title = response.statusText;
  let detail = "";
  try {
    const problem = await response.json();
    title = problem?.title ?? title;
    detail = problem?.detail ?? "";
  } catch {
    // not a problem document
  }
  const error = new ApiError(response.status, title, detail);
  if (response.status === 401 && options.key === undefined) {
    unauthorizedHandler(error);
  }
  throw error;
}

export const api = {
  watchlists: (opts) => getJson("api/v1/watchlists", opts),
  watchlist: (id, opts) => getJson(`api/v1/watchlists/${encodeURIComponent(id)}`, opts),
  account: (id, opts) => getJson(`api/v1/accounts/${encodeURIComponent(id)}`, opts),
  history: (id, from, to, opts) =>
    getJson(`api/v1/accounts/${encodeURIComponent(id)}/history?from=${encodeURIComponent(from.toISOString())}&to=${encodeURIComponent(to.toISOString())}`, opts),
  scorecard: (opts) => getJson("api/v1/scorecard", opts),
  alerts: (limit, opts) => getJson(`api/v1/alerts?limit=${encodeURIComponent(limit)}`, opts),
};
