#!/usr/bin/env bash
# Throughput of MCP servers side by side, the way the project's performance targets are measured:
# each server alone on CPU 0, the load generator on CPU 1, 32 clients calling tools/call, rounds
# interleaved, medians. The first server is the baseline (use bare mcp-go: `baresrv`).
#
#   compare.sh [-d 8s] [-r 3] [-c 32] [-p 2025-03-26] NAME='COMMAND' NAME='COMMAND' ...
#
# Each COMMAND must start a server on 127.0.0.1:$PORT (the script picks a free port, sets
# PORT and exports it; use --addr 127.0.0.1:$PORT). Extra load-generator flags per server go in
# LOADARGS_<NAME> (e.g. LOADARGS_jwt='-H "Authorization: Bearer ..."').
# The baseline server and the load generator are built from this folder (baresrv, mcpload).
# Example, from the repository root:
#   go run ./cmd/mcpforge new demo --transport http --deploy none --yes --dir /tmp/demo
#   (cd /tmp/demo && make build)
#   testdata/bench/compare.sh bare='$BENCH_BIN/baresrv -addr 127.0.0.1:$PORT' \
#                             gen='/tmp/demo/bin/demo --transport http --addr 127.0.0.1:$PORT'
# go test ./cmd/mcpforge -run '^$' -bench VersusMCPGo does the same from Go, jwt-local included.
set -u
D=8s R=3 C=32 P=2025-03-26
while getopts d:r:c:p: o; do case $o in d) D=$OPTARG;; r) R=$OPTARG;; c) C=$OPTARG;; p) P=$OPTARG;; *) exit 2;; esac; done
shift $((OPTIND-1))
here=$(cd "$(dirname "$0")" && pwd); bin=${BENCH_BIN:-$(mktemp -d)}
export BENCH_BIN=$bin
[ -x "$bin/mcpload" ] || (cd "$here" && go build -o "$bin/" ./baresrv ./mcpload) || exit 1
out=$(mktemp)
for r in $(seq "$R"); do
  for spec in "$@"; do
    name=${spec%%=*}; cmd=${spec#*=}
    export PORT=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
    taskset -c 0 bash -c "exec $cmd" >/dev/null 2>&1 & sp=$!
    var=LOADARGS_$name; eval "extra=(${!var:-})"
    for _ in $(seq 100); do "$bin/mcpload" -url "http://127.0.0.1:$PORT/mcp" -c 1 -n 1 -proto "$P" "${extra[@]}" >/dev/null 2>&1 && break; sleep 0.1; done
    line=$(taskset -c 1 "$bin/mcpload" -url "http://127.0.0.1:$PORT/mcp" -c "$C" -d "$D" -warmup 1s -proto "$P" "${extra[@]}")
    kill $sp; wait $sp 2>/dev/null
    echo "{\"name\":\"$name\",\"round\":$r,\"load\":$line}" | tee -a "$out"
  done
done
python3 - "$out" <<'PY'
import json, sys, statistics as st
rows = [json.loads(l) for l in open(sys.argv[1])]
names = list(dict.fromkeys(r["name"] for r in rows))
med = {n: st.median(r["load"]["rps"] for r in rows if r["name"] == n) for n in names}
for n in names:
    p99 = st.median(r["load"]["p99_ms"] for r in rows if r["name"] == n)
    print(f"{n:16} {med[n]:9.0f} rps  p99 {p99:6.2f} ms  x{med[n]/med[names[0]]:.3f} of {names[0]}")
PY
