#!/usr/bin/env bash
# Regenerates every peer-comparison table in BENCHMARKS.md, in one run on this machine.
#
#   benchmarks/run_all.sh                    # all steps: overhead multistep bfcl
#   STEPS="overhead multistep" benchmarks/run_all.sh
#   REPORT_ONLY=DIR benchmarks/run_all.sh    # rewrite the tables from an earlier run's DIR
#
# Needs the peers installed (benchmarks/peers/install.sh) and autan's environment with
# llama-cpp-python (PYTHON, default `python`). Slow (hours with the default limits on 2 cores):
# not part of CI. Raw results go to OUT (default benchmarks/results/peers-<UTC time>).
# Environment: TIMEOUT (seconds per multi-step task, default 300), RUNS (per-run overhead
# samples, default 300), PORT (correct-tools server for the overhead and multi-step steps,
# default 8091), BFCL_DATA (default ../shared/bench/bfcl), BFCL_LIMIT (per category, default 40).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python}
STEPS=${STEPS:-overhead multistep bfcl}
TIMEOUT=${TIMEOUT:-300}
RUNS=${RUNS:-300}
PORT=${PORT:-8091}
BFCL_DATA=${BFCL_DATA:-../shared/bench/bfcl}
BFCL_LIMIT=${BFCL_LIMIT:-40}
export PYTHONPATH=src
peers=(smolagents pydantic_ai openai_agents langgraph agno)

record_environment() {
    local out=$1
    mkdir -p "$out/versions"
    for peer in "${peers[@]}"; do
        "benchmarks/.venvs/$peer/bin/python" -m pip freeze >"$out/versions/$peer.txt"
    done
    "$PYTHON" -c 'import autan, llama_cpp, platform
print(f"autan=={autan.__version__}\nllama-cpp-python=={llama_cpp.__version__}\nPython {platform.python_version()}")' \
        >"$out/versions/autan.txt"
    "$PYTHON" - >"$out/machine.txt" <<'EOF'
import datetime, os, platform
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
memory = next((l.split()[1] for l in open("/proc/meminfo") if l.startswith("MemTotal")), "0")
print(f"run on {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC; machine: "
      f"{os.cpu_count()} CPUs ({cpu}), {int(memory) // 1048576} GiB RAM, no GPU, "
      f"{platform.system()} {platform.release()}, CPython {platform.python_version()}; "
      f"load average at the start {os.getloadavg()[0]:.1f}.")
EOF
}

start_tool_server() {
    "$PYTHON" benchmarks/peers/tool_server.py --port "$PORT" >"$OUT/tool_server.log" 2>&1 &
    server_pid=$!
    trap 'kill $server_pid 2>/dev/null || true' EXIT
    for _ in $(seq 120); do
        "$PYTHON" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$PORT/v1/models')" \
            2>/dev/null && return 0
        sleep 1
    done
    echo "tool server did not start; see $OUT/tool_server.log" >&2
    exit 1
}

run() {  # runs a command and records it, as typed, in commands.txt
    echo "$*" >>"$OUT/commands.txt"
    "$@"
}

if [ -n "${REPORT_ONLY:-}" ]; then
    "$PYTHON" benchmarks/peers/write_section.py "$REPORT_ONLY" BENCHMARKS.md
    if [ -d "$REPORT_ONLY/bfcl" ]; then
        "$PYTHON" benchmarks/peers/bfcl_peers.py --data "$BFCL_DATA" --out "$REPORT_ONLY/bfcl" \
            --report --benchmarks-md BENCHMARKS.md
    fi
    exit 0
fi
OUT=${OUT:-benchmarks/results/peers-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT"
# Steps may be run one at a time into the same OUT: the record of the first one is kept.
[ -f "$OUT/machine.txt" ] || record_environment "$OUT"
server="http://127.0.0.1:$PORT/v1"
if [[ " $STEPS " == *" overhead "* || " $STEPS " == *" multistep "* ]]; then
    start_tool_server
    echo "$PYTHON benchmarks/peers/tool_server.py --port $PORT" >>"$OUT/commands.txt"
fi
if [[ " $STEPS " == *" overhead "* ]]; then
    run "$PYTHON" benchmarks/peers/overhead_peers.py --out "$OUT/overhead" --server "$server" --runs "$RUNS"
fi
if [[ " $STEPS " == *" multistep "* ]]; then
    run "$PYTHON" benchmarks/peers/multistep.py --server "$server" --out "$OUT/multistep" --timeout "$TIMEOUT"
fi
if [ -n "${server_pid:-}" ]; then
    kill "$server_pid"
    wait "$server_pid" 2>/dev/null || true
fi
"$PYTHON" benchmarks/peers/write_section.py "$OUT" BENCHMARKS.md
if [[ " $STEPS " == *" bfcl "* ]]; then
    # A's BFCL comparison starts its own servers and writes its own block of BENCHMARKS.md.
    run "$PYTHON" benchmarks/peers/bfcl_peers.py --data "$BFCL_DATA" --limit "$BFCL_LIMIT" --seed 0 \
        --out "$OUT/bfcl" --benchmarks-md BENCHMARKS.md
fi
echo "results in $OUT; BENCHMARKS.md updated"
