#!/usr/bin/env bash
# One entry point for a fresh machine.
#   ./build.sh run     build and start the server (embedded mode, data in ./data)
#   ./build.sh test    install what the tests need, run every test, print "N passed, N failed"
#   ./build.sh demo    start the server with demo data streaming in
set -euo pipefail
cd "$(dirname "$0")"

need_apt=()
ensure_tool() { # ensure_tool <command> <debian package>
  command -v "$1" >/dev/null 2>&1 || need_apt+=("$2")
}

install_test_dependencies() {
  ensure_tool chromium chromium
  ensure_tool redis-server redis-server
  if [ ${#need_apt[@]} -gt 0 ]; then
    echo "==> installing ${need_apt[*]}"
    if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  fi
}

summarize_trx() { # prints "N passed, N failed" from every TRX file of this run
  python3 - "$1" <<'PY'
import sys, glob, re
passed = failed = 0
for f in glob.glob(sys.argv[1] + "/**/*.trx", recursive=True):
    text = open(f, encoding="utf-8", errors="replace").read()
    m = re.search(r"<Counters\b[^>]*>", text)
    if not m:
        continue
    attrs = dict(re.findall(r'(\w+)="(\d+)"', m.group(0)))
    passed += int(attrs.get("passed", 0))
    failed += int(attrs.get("failed", 0)) + int(attrs.get("error", 0)) + int(attrs.get("timeout", 0)) + int(attrs.get("aborted", 0))
print(f"{passed} passed, {failed} failed")
PY
}

case "${1:-}" in
  run)
    shift
    # dotnet run starts the app in the project folder; keep the data next to this script instead.
    export CSMETRICS_DATA_DIR="${CSMETRICS_DATA_DIR:-$PWD/data}"
    exec dotnet run -c Release --project src/CsMetrics.Server -- "$@"
    ;;
  demo)
    shift
    export CSMETRICS_DATA_DIR="${CSMETRICS_DATA_DIR:-$PWD/data-demo}"
    exec dotnet run -c Release --project src/CsMetrics.Server -- --demo "$@"
    ;;
  test)
    install_test_dependencies
    results="$PWD/TestResults"
    rm -rf "$results"
    dotnet build CsMetrics.sln -c Release -nologo -v q
    set +e
    dotnet test CsMetrics.sln -c Release --no-build -nologo \
      --logger "trx" --logger "console;verbosity=minimal" \
      --results-directory "$results" --blame-hang-timeout 5m
    status=$?
    set -e
    summary=$(summarize_trx "$results")
    if [ "$summary" = "0 passed, 0 failed" ] && [ $status -ne 0 ]; then
      summary="0 passed, 1 failed"
    fi
    echo "$summary"
    exit $status
    ;;
  *)
    echo "usage: $0 run|demo|test" >&2
    exit 2
    ;;
esac
