// The live connection to /hubs/watchlists (docs/watchlists.md) and the client side of its
// protocol: Subscribe returns a snapshot; watchlistChanged messages carry versions that rise by
// exactly one. Messages that arrive while a Subscribe is pending are kept and applied after the
// snapshot when their version is newer; a gap in versions means something was missed, so the
// client subscribes again.

import { url } from "./api.js";

/** Connection states shown by the indicator. */
export const State = Object.freeze({ Connecting: "connecting", Live: "live", Reconnecting: "reconnecting", Offline: "offline" });

const RETRY_DELAYS_MS = [0, 1000, 2000, 5000, 10000, 20000, 30000];
const RESTART_DELAY_MS = 15000;

export class LiveConnection {
  /**
   * @param {() => string|null} getKey  the read key (asked for at every (re)connect)
   * @param {(state: string) => void} onState
   * @param {() => void} onUnauthorized  called when the hub rejects the key
   */
  constructor(getKey, onState, onUnauthorized) {
    const signalR = window.signalR;
    if (!signalR) throw new Error("The SignalR client (lib/signalr/signalr.min.js) did not load.");
    this.onState = onState;
    this.onUnauthorized = onUnauthorized;
    this.state = State.Connecting;
    this.stopped = false;
    this.restartTimer = 0;
    /** @type {WatchlistSubscription|null} */
    this.subscription = null;
    /** @type {{recent(alerts): void, fired(alert): void}|null} */
    this.alerts = null;

    this.connection = new signalR.HubConnectionBuilder()
      .withUrl(url("hubs/watchlists"), { accessTokenFactory: () => getKey() ?? "" })
      .withAutomaticReconnect(RETRY_DELAYS_MS)
      .configureLogging(signalR.LogLevel.Warning)
      .build();

    this.connection.on("watchlistChanged", (message) => this.subscription?.receive(message));
    this.connection.on("alertFired", (alert) => this.alerts?.fired(alert));
    this.connection.onreconnecting(() => this.setState(State.Reconnecting));
    this.connection.onreconnected(() => {
      this.setState(State.Live);
      // The server forgot our subscriptions with the old connection; ask again.
      this.subscription?.subscribe();
      this.subscribeAlerts();
    });
    this.connection.onclose(() => {
      if (this.stopped) return;
      this.setState(State.Offline);
      this.scheduleRestart();
    });
  }

  get connected() {
    return this.connection.state === "Connected";
  }

  setState(state) {
    this.state = state;
    this.onState(state);
  }

  async start() {
    clearTimeout(this.restartTimer);
    if (this.stopped || this.connection.state !== "Disconnected") return;
    this.setState(this.state === State.Offline ? State.Reconnecting : State.Connecting);
    try {
      await this.connection.start();
    } catch (err) {
      if (this.stopped) return;
      if (err?.statusCode === 401 || /\b401\b/.test(String(err?.message ?? ""))) {
        this.onUnauthorized();
        return;
      }
      this.setState(State.Offline);
      this.scheduleRestart();
      return;
    }
    if (this.stopped) {
      await this.connection.stop();
      return;
    }
    this.setState(State.Live);
    this.subscription?.subscribe();
    this.subscribeAlerts();
  }

  scheduleRestart() {
    clearTimeout(this.restartTimer);
    if (this.stopped) return;
    this.restartTimer = setTimeout(() => this.start(), RESTART_DELAY_MS);
  }

  /** Retry now (the "Reconnect" button). */
  retryNow() {
    if (this.connection.state === "Disconnected") this.start();
  }

  async stop() {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    this.subscription = null;
    this.alerts = null;
    try {
      await this.connection.stop();
    } catch {
      // already stopped
    }
  }

  /**
   * Follows the alert feed: `recent` gets the server's recent alerts at every (re)connect,
   * `fired` each new one.
   * @param {{recent(alerts): void, fired(alert): void}} handlers
   */
  followAlerts(handlers) {
    this.alerts = handlers;
    if (this.connected) this.subscribeAlerts();
  }

  unfollowAlerts() {
    this.alerts = null;
  }

  async subscribeAlerts() {
    const handlers = this.alerts;
    if (!handlers) return;
    try {
      const recent = await this.connection.invoke("SubscribeAlerts");
      if (this.alerts === handlers) handlers.recent(Array.isArray(recent) ? recent : []);
    } catch {
      // A dropped connection subscribes again when it is back.
    }
  }

  /**
   * Follows one watchlist (the previous one, if any, is unsubscribed).
   * @param {string} watchlistId
   * @param {{snapshot(entries, version): void, changes(changes, version): void, error(err): void}} handlers
   * @returns {WatchlistSubscription}
   */
  follow(watchlistId, handlers) {
    this.unfollow();
    const sub = new WatchlistSubscription(this, watchlistId, handlers);
    this.subscription = sub;
    if (this.connected) sub.subscribe();
    return sub;
  }

  unfollow() {
    const previous = this.subscription;
    this.subscription = null;
    if (previous) {
      previous.closed = true;
      if (this.connected) {
        this.connection.invoke("Unsubscribe", previous.watchlistId).catch(() => {});
      }
    }
  }
}

export class WatchlistSubscription {
  constructor(live, watchlistId, handlers) {
    this.live = live;
    this.watchlistId = watchlistId;
    this.handlers = handlers;
    this.version = null;
    this.pending = false;
    this.buffer = [];
    this.attempt = 0;
    this.closed = false;
  }

  async subscribe() {
    if (this.closed) return;
    const attempt = ++this.attempt;
    this.pending = true;
    this.buffer = [];
    let snapshot;
    try {
      snapshot = await this.live.connection.invoke("Subscribe", this.watchlistId);
    } catch (err) {
      if (this.closed || attempt !== this.attempt) return;
      this.pending = false;
      // A dropped connection is handled by the reconnect logic (it subscribes again).
      if (this.live.connected) this.handlers.error(err);
      return;
    }
    if (this.closed || attempt !== this.attempt) return; // superseded by a newer Subscribe
    this.version = snapshot.version;
    this.handlers.snapshot(Array.isArray(snapshot.entries) ? snapshot.entries : [], snapshot.version);
    this.pending = false;
    const buffered = this.buffer.sort((a, b) => a.version - b.version);
    this.buffer = [];
    for (const message of buffered) {
      if (!this.apply(message)) break;
    }
  }

  /** A watchlistChanged message from the hub. */
  receive(message) {
    if (this.closed || !message || message.watchlistId !== this.watchlistId) return;
    if (this.pending) {
      this.buffer.push(message);
      return;
    }
    this.apply(message);
  }

  /** Applies one message in order; returns false when a gap started a new Subscribe. */
  apply(message) {
    if (typeof message.version !== "number" || this.version === null) return true;
    if (message.version <= this.version) return true; // already part of what we have
    if (message.version !== this.version + 1) {
      this.subscribe();
      return false;
    }
    this.version = message.version;
    this.handlers.changes(Array.isArray(message.changes) ? message.changes : [], message.version);
    return true;
  }
}
