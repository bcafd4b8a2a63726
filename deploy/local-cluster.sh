#!/usr/bin/env bash
# A CsMetrics cluster on this machine: one redis-server and three server nodes on loopback.
#
#   deploy/local-cluster.sh            start everything, print the addresses, run until Ctrl-C
#
# Nodes: http://127.0.0.1:5101, :5102, :5103 (CSMETRICS_LOCAL_HTTP_BASE=5100 moves them).
# Redis: 127.0.0.1:6390 (CSMETRICS_LOCAL_REDIS_PORT), append-only, fsync on every write.
# Keys:  CSMETRICS_API_KEYS if set, else one generated admin key in .local-cluster/admin.key.
# Ctrl-C (or SIGTERM to this script) stops the nodes gracefully, then Redis, and deletes
# nothing but the processes: .local-cluster/ keeps Redis's data for the next start
# (rm -rf .local-cluster to begin empty). Nothing is left running after the script ends.
set -euo pipefail
cd "$(dirname "$0")/.."

http_base="${CSMETRICS_LOCAL_HTTP_BASE:-5100}"
redis_port="${CSMETRICS_LOCAL_REDIS_PORT:-6390}"
nodes="${CSMETRICS_LOCAL_NODES:-3}"
state="$PWD/.local-cluster"
mkdir -p "$state"

if ! command -v redis-server >/dev/null 2>&1; then
  echo "redis-server is not installed (Debian/Ubuntu: apt-get install -y redis-server)" >&2
  exit 1
fi

echo "==> building the server (Release)"
dotnet build src/CsMetrics.Server -c Release -nologo -v q >/dev/null
dll="$PWD/src/CsMetrics.Server/bin/Release/net10.0/CsMetrics.Server.dll"

if [ -z "${CSMETRICS_API_KEYS:-}" ]; then
  if [ ! -s "$state/admin.key" ]; then
    head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$state/admin.key"
  fi
  CSMETRICS_API_KEYS="$(cat "$state/admin.key"):admin"
fi
export CSMETRICS_API_KEYS

pids=()
redis_pid=""
stop_all() {
  # Ignore repeated signals (a second Ctrl-C, or timeout signalling the whole group): the
  # cleanup must finish, or Redis would be left running.
  trap "" INT TERM
  trap - EXIT
  echo
  echo "==> stopping nodes"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  # A graceful stop writes a final checkpoint to Redis; give it a minute, then make sure.
  for _ in $(seq 1 600); do
    alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ $alive -eq 0 ] && break
    sleep 0.1
  done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  if [ -n "$redis_pid" ]; then
    echo "==> stopping redis"
    kill -TERM "$redis_pid" 2>/dev/null || true
    wait "$redis_pid" 2>/dev/null || true
  fi
  echo "==> stopped; nothing left running"
  exit 0
}
trap stop_all EXIT INT TERM

echo "==> redis-server on 127.0.0.1:$redis_port"
# In its own session: Ctrl-C reaches the whole foreground group, and Redis must outlive the
# nodes' final checkpoints; stop_all stops it last.
setsid redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$state" --save "" \
  --appendonly yes --appendfsync always --daemonize no --logfile "$state/redis.log" &
redis_pid=$!
for _ in $(seq 1 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$redis_port") 2>/dev/null && break
  sleep 0.1
done

# A fresh membership per start: members of a previous run that was killed would otherwise stay in
# the table until declared dead, and new nodes would wait on them. State and ingest logs are kept
# (they are keyed by the service, not the cluster) and the old run's logs are replayed.
cluster_id="local-$(date +%s)"
for i in $(seq 1 "$nodes"); do
  port=$((http_base + i))
  mkdir -p "$state/node$i"
  echo "==> node$i on http://127.0.0.1:$port (log: .local-cluster/node$i.log)"
  CSMETRICS_REDIS="127.0.0.1:$redis_port" \
  CSMETRICS_NODE_NAME="node$i" \
  CSMETRICS_CLUSTER_ID="$cluster_id" \
  CSMETRICS_DATA_DIR="$state/node$i" \
  CSMETRICS_SILO_PORT=$((11110 + i)) \
  CSMETRICS_GATEWAY_PORT=$((30000 + i)) \
  dotnet "$dll" --urls "http://127.0.0.1:$port" >"$state/node$i.log" 2>&1 &
  pids+=($!)
done

for i in $(seq 1 "$nodes"); do
  port=$((http_base + i))
  for _ in $(seq 1 600); do
    if curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then echo "    node$i ready"; break; fi
    if ! kill -0 "${pids[$((i - 1))]}" 2>/dev/null; then echo "node$i exited; see $state/node$i.log" >&2; exit 1; fi
    sleep 0.2
  done
done

cat <<INFO

CsMetrics cluster of $nodes nodes is up.
  Dashboard:  http://127.0.0.1:$((http_base + 1))/   (any node serves the same data)
  Admin key:  ${CSMETRICS_API_KEYS%%:*}
  Try:        curl -H "Authorization: Bearer ${CSMETRICS_API_KEYS%%:*}" http://127.0.0.1:$((http_base + 2))/api/v1/accounts
Ctrl-C stops everything.
INFO
wait -n "${pids[@]}" || true
echo "a node exited; stopping the cluster" >&2
