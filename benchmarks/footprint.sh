#!/usr/bin/env bash
# What an operator feels outside the data path: a client command's start-up, the idle daemon's CPU, the processes'
# resident memory, a worker's start, and the simulator's speed. benchmarks/README.md says how to read it.
#
#   usage: benchmarks/footprint.sh [--runs N] [--idle S] [--settle S] [--seeds N] [--out FILE] [--no-results] (root)
#
# Starts a daemon (2 workers, 1 rule over a veth pair) in a network namespace of its own, measures, stops it, and
# removes the namespace on every exit path. Appends a dated section to benchmarks/RESULTS.md (unless --no-results)
# and writes it to --out (default benchmarks/target/footprint-results.md). The control requests' latency and the
# `config load` of 10,000 rules are measured by io.mcrelay.bench.ControlLatency (benchmarks.jar) on one connection.
set -euo pipefail

root=$(cd -- "$(dirname -- "$(readlink -f -- "${BASH_SOURCE[0]}")")/.." && pwd)
mcrelay=$root/mcrelay
# shellcheck source=benchmarks/lib.sh
. "$root/benchmarks/lib.sh"
runs=11
idle_s=20
# Seconds from the last change to the idle measurement: the JIT's and a Sync intake's work done; the JIT goes on
# compiling the heartbeats' code for minutes at their pace, so --settle 300 shows the steady state.
settle_s=10
seeds=10
farm_seeds=200
out=$root/benchmarks/target/footprint-results.md
write_results=1
while [[ $# -gt 0 ]]; do
    case $1 in
        --runs) runs=$2; shift ;;
        --idle) idle_s=$2; shift ;;
        --settle) settle_s=$2; shift ;;
        --seeds) seeds=$2; shift ;;
        --out) out=$2; shift ;;
        --no-results) write_results=0 ;;
        -h | --help) sed -n '2,10p' "$0"; exit 0 ;;
        *) echo "footprint: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
for n in "$runs" "$idle_s" "$settle_s" "$seeds"; do
    [[ $n =~ ^[1-9][0-9]*$ ]] || { echo "footprint: --runs, --idle, --settle and --seeds take a positive integer, not $n" >&2; exit 2; }
done
[[ $(id -u) -eq 0 ]] || { echo "footprint: needs root (it makes a network namespace and starts the daemon)" >&2; exit 2; }
[[ -f $root/dist/target/mcrelay.jar && -f $root/benchmarks/target/benchmarks.jar ]] \
    || { echo "footprint: build first: ./mvnw -q -DskipTests install" >&2; exit 2; }
java=$("$root/ci/find-jdk25" --quiet)/bin/java

ns=mcrfoot-$$
tmp=$(mktemp -d)
chmod 0755 "$tmp" # the workers run as another user and must reach their runtime directory under it
daemon=""
# Every step may fail (the daemon already gone, the namespace never made) without skipping the next: under set -e a
# failing `a && b` at the end of a line would end the trap before the namespace is removed.
cleanup() {
    if [[ -n $daemon ]]; then
        if kill -TERM -- "-$daemon" 2>/dev/null; then sleep 1; fi
        kill -KILL -- "-$daemon" 2>/dev/null || true
    fi
    ip netns del "$ns" 2>/dev/null || true
    rm -rf -- "$tmp"
}
trap cleanup EXIT
note() { echo "footprint: $*" >&2; }

# Median of the numbers on stdin.
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
# Median wall time in ms of RUNS runs of the launcher with ARGS (environment from the caller).
startup_ms() {
    local i start
    for ((i = 0; i < runs; i++)); do
        start=$(date +%s%N)
        "$mcrelay" "$@" >/dev/null 2>&1 || true
        echo $((($(date +%s%N) - start) / 1000000))
    done | median
}
# utime + stime in ticks of the given pids.
ticks() { local p t=0; for p in "$@"; do t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat"))); done; echo "$t"; }
# VmRSS in KiB, and the resident KiB of the process's socket mappings (the receive rings).
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
ring_kib() {
    awk '/^[0-9a-f]+-[0-9a-f]+ / { ring = ($6 ~ /^socket:/) } ring && /^Rss:/ { kib += $2 } END { print kib + 0 }' \
        "/proc/$1/smaps"
}

# ---- start-up of a client command, no daemon ------------------------------------------------------------------------
note "start-up without a daemon ($runs runs each)"
export MCRELAY_SOCKET=$tmp/none.sock
version_cold=$(startup_ms version)
version_cold_noaot=$(MCRELAY_AOT=off startup_ms version)

# ---- a daemon: 2 workers, 1 rule ------------------------------------------------------------------------------------
ip netns add "$ns"
ip -n "$ns" link set lo up
ip -n "$ns" link add v0 type veth peer name v1
ip -n "$ns" link set v0 up
ip -n "$ns" link set v1 up
sock=$tmp/control.sock
launched_at=$(date +%s%N)
setsid ip netns exec "$ns" "$mcrelay" supervisor --workers 2 --socket "$sock" --journal "$tmp/journal" \
    >"$tmp/daemon.log" 2>&1 &
daemon=$!
for ((i = 0; i < 120; i++)); do
    "$mcrelay" ping --socket "$sock" >/dev/null 2>&1 && break
    kill -0 "$daemon" 2>/dev/null || { cat "$tmp/daemon.log" >&2; echo "footprint: the daemon exited" >&2; exit 1; }
    sleep 0.25
done
answer_ms=$((($(date +%s%N) - launched_at) / 1000000))
# Both workers connected (a worker starts after the control socket answers), then the rule, acked by both.
for ((i = 0; i < 240; i++)); do
    [[ $(grep -c ' connected; ' "$tmp/daemon.log" || true) -ge 2 ]] && break
    sleep 0.25
done
"$mcrelay" add --socket "$sock" --id foot --input-interface v0 --input-group 239.80.0.1 --input-port 9000 \
    --output 239.80.0.2:9000:v1:1 >/dev/null
# The supervisor is the launcher's exec'd JVM; its workers are its children.
supervisor=$(pgrep -f -- "--socket $sock" | head -n 1)
mapfile -t workers < <(pgrep -P "$supervisor" || true)
# A worker's start: from "launched worker N" to "worker N ... connected" in the daemon's log (HH:MM:SS.mmm).
worker_start=$(awk '
    function ms(t) { split(t, p, ":"); return ((p[1] * 60 + p[2]) * 60 + p[3]) * 1000 }
    / launched worker / { for (i = 1; i <= NF; i++) if ($i == "worker") { launched[$(i + 1)] = ms($1) } }
    / connected; / { for (i = 1; i <= NF; i++) if ($i == "worker" && ($(i + 1) in launched)) {
        d = ms($1) - launched[$(i + 1)]; printf "%s%d", sep, d; sep = ", "; delete launched[$(i + 1)] } }
    ' "$tmp/daemon.log")

note "start-up with a daemon ($runs runs each)"
ping_cold=$(startup_ms ping --socket "$sock")
ping_cold_noaot=$(MCRELAY_AOT=off startup_ms ping --socket "$sock")

note "idle daemon for $idle_s s"
sleep "$settle_s" # settled: see --settle
t0=$(ticks "$supervisor" "${workers[@]}")
sleep "$idle_s"
t1=$(ticks "$supervisor" "${workers[@]}")
hz=$(getconf CLK_TCK)
idle_pct=$(awk -v t=$((t1 - t0)) -v hz="$hz" -v s="$idle_s" 'BEGIN { printf "%.2f", 100 * t / hz / s }')

# Resident memory of the supervisor (MiB) and of each worker, with and without its rings' resident pages.
memory() {
    local w line="supervisor $(($(rss_kib "$supervisor") / 1024)) MiB; workers"
    for w in "${workers[@]}"; do
        line+=" $(($(rss_kib "$w") / 1024)) MiB ($((($(rss_kib "$w") - $(ring_kib "$w")) / 1024)) without rings)"
    done
    echo "$line"
}
memory_1=$(memory)

# ---- control requests: 5 rounds of 200 acked adds, then a config load of 10,000 rules, 3 rounds of 50 lists ----------
# The measuring JVM runs as the launcher runs a client command (serial GC, C1 only, no hsperfdata): a JVM compiling with
# C2 beside a 2-CPU daemon takes a CPU for milliseconds at a time, which a client command never does.
client_jvm=(-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:-UsePerfData)
note "control requests: 5 x 200 adds (then memory at 1,000 rules), config load of 10000 rules, 3 x 50 lists (a worker killed in the last)"
latency=$(ip netns exec "$ns" "$java" "${client_jvm[@]}" -cp "$root/benchmarks/target/benchmarks.jar" \
    io.mcrelay.bench.ControlLatency --socket "$sock" --input-interface v0 --output-interface v1 --adds 200 \
    --rounds 5 --config-rules 0 2>&1) || { echo "footprint: the adds failed: $latency" >&2; exit 1; }
sleep 2
memory_1k=$(memory)
latency+=$'\n'$(ip netns exec "$ns" "$java" "${client_jvm[@]}" -cp "$root/benchmarks/target/benchmarks.jar" \
    io.mcrelay.bench.ControlLatency --socket "$sock" --input-interface v0 --output-interface v1 --adds 0 \
    --config-rules 10000 --lists 50 --rounds 2 --kill-during-lists "${workers[0]}" 2>&1) \
    || { echo "footprint: the control requests failed: $latency" >&2; exit 1; }
# The last round of lists killed worker 0: wait for its replacement to connect, then look at the new set of workers.
for _ in $(seq 1 120); do
    [[ $(grep -c ' connected; ' "$tmp/daemon.log" || true) -ge 3 ]] && break
    sleep 0.25
done
mapfile -t workers < <(pgrep -P "$supervisor" || true)
field() { sed -n "s/^$1 .*$2=\([^ ]*\).*/\1/p" <<<"$latency" | tail -1; }
add_line="p50 $(field add p50_us) µs, p99 $(field add p99_us) µs, max $(field add max_us) µs"
add_settled_line="p50 $(field add_settled p50_us) µs, p99 $(field add_settled p99_us) µs, max $(field add_settled max_us) µs"
list_line="p50 $(field list_10000 p50_us) µs, p99 $(field list_10000 p99_us) µs, max $(field list_10000 max_us) µs"
list_settled_line="p50 $(field list_settled_10000 p50_us) µs, p99 $(field list_settled_10000 p99_us) µs, max $(field list_settled_10000 max_us) µs"
list_crash_line="p50 $(field list_crash_10000 p50_us) µs, p99 $(field list_crash_10000 p99_us) µs, max $(field list_crash_10000 max_us) µs"
# The measuring client warmed its own codec on local frames first; what its first use cost is reported beside.
client_line="the client's own first use (not in the rows above): an add $(field client_cold add_us) µs, decoding the 10,000-rule answer $(field client_cold rules_decode_ms) ms"
load_line="$(field config_load ms) ms, acked by both: $(field config_load acked)"
sleep "$settle_s" # settled: see --settle
t0=$(ticks "$supervisor" "${workers[@]}")
sleep "$idle_s"
t1=$(ticks "$supervisor" "${workers[@]}")
idle_10k_pct=$(awk -v t=$((t1 - t0)) -v hz="$hz" -v s="$idle_s" 'BEGIN { printf "%.2f", 100 * t / hz / s }')
memory_10k=$(memory)

kill -TERM -- "-$daemon" 2>/dev/null || true
wait "$daemon" 2>/dev/null || true
daemon=""

# ---- the simulator --------------------------------------------------------------------------------------------------
note "simulator, $seeds seeds one at a time, then $farm_seeds seeds $(nproc) at a time"
sim_line=$(CI=true "$mcrelay" sim --seeds "$seeds" --jobs 1 2>&1 \
    | grep -E '^(time compression|wall time|simulated time)' | tr -s ' ' | paste -sd ';' -)
farm_line=$(CI=true "$mcrelay" sim --seeds "$farm_seeds" 2>&1 \
    | grep -E '^(time compression|wall time|simulated time|seeds at a time)' | tr -s ' ' | paste -sd ';' -)

# ---- the report -----------------------------------------------------------------------------------------------------
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
git -C "$root" diff --quiet HEAD 2>/dev/null || commit="$commit (with uncommitted changes)"
section=$(mktemp)
{
    echo "## Footprint: start-up, idle cost, memory, worker start, simulator ($(date -u '+%Y-%m-%d %H:%M UTC'))"
    echo
    echo "\`benchmarks/footprint.sh\` at $commit on $(nproc --all) CPUs, kernel $(uname -r); load average" \
        "$(cut -d ' ' -f 1-3 /proc/loadavg). Start-up: median wall time of $runs runs of \`./mcrelay\` (the launcher" \
        "included), with the AOT cache and with \`MCRELAY_AOT=off\`. Idle: the daemon's processes' CPU time over" \
        "$idle_s s with 2 workers, no traffic, as a share of one CPU, from $settle_s s after the last change (the" \
        "JIT's and a Sync intake's work done; the JIT compiles the heartbeats' code for minutes: --settle 300 for" \
        "the steady state)."
    echo
    echo "| figure | measured | target |"
    echo "|---|---|---|"
    echo "| \`mcrelay version\`, no daemon | $version_cold ms ($version_cold_noaot ms without the AOT cache) | < 300 ms |"
    echo "| \`mcrelay ping\` to a running daemon | $ping_cold ms ($ping_cold_noaot ms without the AOT cache) | < 300 ms |"
    echo "| idle daemon, 2 workers, 1 rule | $idle_pct % of one CPU | < 1 % |"
    echo "| idle daemon, 2 workers, 10,000 rules | $idle_10k_pct % of one CPU | < 1 % |"
    echo "| resident memory, 1 rule | $memory_1 | workers ≤ 64 MiB without rings |"
    echo "| resident memory, 1,000 rules (added one by one) | $memory_1k | workers ≤ 64 MiB without rings |"
    echo "| resident memory, 10,000 rules | $memory_10k | - |"
    echo "| \`add\`, acked by 2 workers: the daemon's first 200, one connection | $add_line | p99 < 5 ms |"
    echo "| \`add\`, acked by 2 workers: 200 more after 800 | $add_settled_line | p99 < 5 ms |"
    echo "| \`list\` at 10,000 rules: the first 50 after the load | $list_line | p99 < 100 ms |"
    echo "| \`list\` at 10,000 rules: 50 more after 50 | $list_settled_line | p99 < 100 ms |"
    echo "| \`list\` at 10,000 rules: 50 more, a worker killed (-9) as they start | $list_crash_line | p99 < 100 ms |"
    echo "| measuring client, first use of its codec (fresh JVM) | $client_line | - |"
    echo "| \`config load\` of 10,000 rules, 2 workers | $load_line | acked by both < 1 s |"
    echo "| worker start (launched to connected, from the daemon's log) | $worker_start ms | < 500 ms |"
    echo "| daemon start to its first answer (\`ping\` polled every 250 ms) | $answer_ms ms | - |"
    echo "| simulator, $seeds seeds of the default workload one at a time, from a fresh JVM | ${sim_line:-not run} | ≥ 1,000 × |"
    echo "| simulator, a farm of $farm_seeds seeds (\`sim --seeds $farm_seeds\`: one per CPU at a time) | ${farm_line:-not run} | ≥ 1,000 × |"
} >"$section"
publish_section "$section" "$out" "$write_results"
rm -f -- "$section"
