#!/usr/bin/env bash
# The end-to-end benchmark: mcrelay against kernel multicast forwarding (smcroute), socat and a minimal C TPACKET_V3
# relay (benchmarks/c/ring-relay.c, the floor), in one run, on one machine, driven by `mcrelay gen` and verified by
# `mcrelay sink`. benchmarks/README.md says what it measures and how to read it.
#
#   usage: benchmarks/e2e.sh [--long] [--quick] [--relays LIST] [--sizes LIST] [--outputs LIST] [--rates LIST]
#                            [--duration S] [--search-steps N] [--sink-buffer BYTES] [--gen-cpu N] [--relay-cpu N]
#                            [--nice N] [--warmup S] [--warmup-rate R] [--warmup-pause MS] [--supervisor-args 'ARGS']
#                            [--repeat N] [--out FILE] [--no-results]
#                            (root; LIST is comma-separated; --search-steps 0: the fixed rates only; --repeat N:
#                            N rounds of every relay, then medians)
#
# Three network namespaces of its own (mcrbench-src-PID, mcrbench-relay-PID, mcrbench-sink-PID) joined by two veth
# pairs: the generator and the sinks run on one CPU, the relay on the other, all at nice -10 (--nice) so that other
# loads on a shared machine get a small share of those CPUs while the benchmark wants them. Everything it starts, and the namespaces,
# are removed on every exit path. Appends a dated section to benchmarks/RESULTS.md (unless --no-results) and writes
# the same section to --out (default benchmarks/target/e2e-results.md).
set -euo pipefail

root=$(cd -- "$(dirname -- "$(readlink -f -- "${BASH_SOURCE[0]}")")/.." && pwd)
mcrelay=$root/mcrelay
# shellcheck source=benchmarks/lib.sh
. "$root/benchmarks/lib.sh"

# ---- options --------------------------------------------------------------------------------------------------------
relays=mcrelay,kernel,socat,c
sizes=64,1200
outputs_list=1,3
rates=50000,100000,200000
duration_s=3
search_steps=4
sink_buffer=$((8 << 20))
gen_cpu=0
relay_cpu=1
nice_level=-10
out=$root/benchmarks/target/e2e-results.md
write_results=1
rate_cap=1000000      # the search's first probe above the fixed rates: as fast as the generator can
warmup_rate=0         # the warm-up run before each point (not counted): the sinks' and the relay's JIT warm up;
                      # at each point's own rate (--warmup-rate R: at up to R instead, so that the counted run
                      # starts with a step up in rate, as 50,000 did until 2026-12-07 23:15)
warmup_s=3            # its length in seconds (--warmup; 1 until 2026-12-07 23:15)
warmup_pause_ms=1000  # then a pause before the counted run (--warmup-pause): whatever the warm-up left queued in a
                      # relay or in the sinks' sockets drains first, so that the counted run starts from empty queues
loss_max_permille=1   # RFC 2544 throughput here: the highest offered rate losing at most 0.1 %
supervisor_args=""    # more arguments for `mcrelay supervisor` (--supervisor-args), e.g. "--ring-size 128M"
repeat=1              # rounds (--repeat N): each runs every relay in turn, so that slow drifts in other loads reach
                      # every relay alike; with N > 1 the tables give medians, and each trial under them

usage() { sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit "${1:-2}"; }
while [[ $# -gt 0 ]]; do
    case $1 in
        --long) duration_s=10; search_steps=6 ;;
        --quick) sizes=1200; outputs_list=1; search_steps=2 ;;
        --relays) relays=$2; shift ;;
        --sizes) sizes=$2; shift ;;
        --outputs) outputs_list=$2; shift ;;
        --rates) rates=$2; shift ;;
        --duration) duration_s=$2; shift ;;
        --search-steps) search_steps=$2; shift ;;
        --sink-buffer) sink_buffer=$2; shift ;;
        --gen-cpu) gen_cpu=$2; shift ;;
        --relay-cpu) relay_cpu=$2; shift ;;
        --nice) nice_level=$2; shift ;;
        --warmup) warmup_s=$2; shift ;;
        --warmup-rate) warmup_rate=$2; shift ;;
        --warmup-pause) warmup_pause_ms=$2; shift ;;
        --supervisor-args) supervisor_args=$2; shift ;;
        --repeat) repeat=$2; shift ;;
        --out) out=$2; shift ;;
        --no-results) write_results=0 ;;
        -h|--help) usage 0 ;;
        *) echo "e2e: unknown option $1" >&2; usage ;;
    esac
    shift
done
for n in "$duration_s" "$search_steps" "$sink_buffer" "$gen_cpu" "$relay_cpu" "$warmup_s" "$warmup_rate" \
    "$warmup_pause_ms" "$repeat"; do
    [[ $n =~ ^[0-9]+$ ]] || { echo "e2e: not a whole number: $n" >&2; exit 2; }
done
[[ $repeat -ge 1 && $repeat -le 100 ]] || { echo "e2e: --repeat must be 1 to 100, not $repeat" >&2; exit 2; }
[[ $nice_level =~ ^-?[0-9]+$ && $nice_level -ge -20 && $nice_level -le 19 ]] \
    || { echo "e2e: --nice must be -20 to 19, not $nice_level" >&2; exit 2; }
[[ $gen_cpu != "$relay_cpu" ]] || { echo "e2e: the generator and the relay need two different CPUs" >&2; exit 2; }
if [[ $(id -u) -ne 0 ]]; then
    echo "e2e: needs root (it makes network namespaces)" >&2
    exit 2
fi
if [[ ! -f $root/dist/target/mcrelay.jar ]]; then
    echo "e2e: the shipped jar is not built: ./mvnw -q -DskipTests package -pl dist -am (in $root)" >&2
    exit 2
fi
for cpu in "$gen_cpu" "$relay_cpu"; do
    grep -q "^cpu$cpu " /proc/stat || { echo "e2e: there is no CPU $cpu" >&2; exit 2; }
done
IFS=, read -r -a relay_names <<<"$relays"
IFS=, read -r -a size_list <<<"$sizes"
IFS=, read -r -a output_counts <<<"$outputs_list"
IFS=, read -r -a rate_list <<<"$rates"

# ---- the world this run makes, and its removal ----------------------------------------------------------------------
src=mcrbench-src-$$
relay=mcrbench-relay-$$
sink=mcrbench-sink-$$
tmp=$(mktemp -d /tmp/mcrbench.XXXXXX)
chmod 755 "$tmp" # mcrelay's workers run as nobody from a runtime directory under here
started=()      # process ids this script started (each leads its own process group where setsid made one)
cleanup() {
    local pid
    for pid in "${started[@]}"; do
        kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${started[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    ip netns del "$src" 2>/dev/null || true
    ip netns del "$relay" 2>/dev/null || true
    ip netns del "$sink" 2>/dev/null || true
    rm -rf -- "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
trap 'exit 129' HUP
trap 'exit 141' PIPE

note() { echo "e2e: $*" >&2; }
# Waits for a process this script started and forgets its id, so that cleanup never signals a reused id.
reap() {
    local pid kept=()
    wait "$1" 2>/dev/null || true
    for pid in "${started[@]}"; do
        [[ $pid == "$1" ]] || kept+=("$pid")
    done
    started=(${kept[@]+"${kept[@]}"})
}
notes=()     # what was skipped or worth knowing; printed under the tables

# The harness, the generator and the sinks stay on the generator's CPU; only the relay runs on the other.
taskset -cp "$gen_cpu" $$ >/dev/null
# Everything started from here inherits the priority: other loads yield most of both CPUs while they compete. Where
# the scheduler groups tasks by session (autogroup), a nice value only counts within the session, so the session's
# group gets it too (and each relay's, which runs in a session of its own).
renice -n "$nice_level" -p $$ >/dev/null
prioritise_session() { # PID: the autogroup of PID's session, where there is one
    if [[ -w /proc/$1/autogroup ]]; then
        echo "$nice_level" >"/proc/$1/autogroup" 2>/dev/null || true
    fi
}
prioritise_session $$

ip netns add "$src"
ip netns add "$relay"
ip netns add "$sink"
for ns in "$src" "$relay" "$sink"; do
    ip -n "$ns" link set lo up
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
ip link add s0 netns "$src" type veth peer name r0 netns "$relay"
ip link add r1 netns "$relay" type veth peer name k0 netns "$sink"
ip -n "$src" addr add 10.79.1.1/24 dev s0
ip -n "$relay" addr add 10.79.1.2/24 dev r0
ip -n "$relay" addr add 10.79.2.1/24 dev r1
ip -n "$sink" addr add 10.79.2.2/24 dev k0
for pair in "$src s0" "$relay r0" "$relay r1" "$sink k0"; do
    read -r ns dev <<<"$pair"
    ip -n "$ns" link set "$dev" up
done
# veth hands a frame to the peer's receive path on the sending CPU. Receive packet steering moves that work to the
# CPU that would do it on real hardware: the relay's input (AF_PACKET rings, the IP stack, kernel forwarding) to the
# relay's CPU, the sinks' input to theirs. So the relay CPU's busy time holds its whole receive path, for every relay.
rps() { # NS DEV CPU
    local mask
    mask=$(printf '%x' $((1 << $3)))
    if ! ip netns exec "$1" sh -c "echo $mask > /sys/class/net/$2/queues/rx-0/rps_cpus" 2>/dev/null; then
        notes+=("receive packet steering could not be set on $2 (no CONFIG_RPS?): its receive path runs on the sender's CPU")
    fi
}
rps "$relay" r0 "$relay_cpu"
rps "$sink" k0 "$gen_cpu"

# Sleepers inside the relay and sink namespaces: /proc/PID/net/ shows their counters without forking into them.
ip netns exec "$relay" sleep 1000000 &
relay_view=$!
started+=("$relay_view")
ip netns exec "$sink" sleep 1000000 &
sink_view=$!
started+=("$sink_view")
mkfifo "$tmp/never"
exec {never}<>"$tmp/never"
pause() { read -r -t "$1" -u "$never" _ || true; } # sleeps without forking

in_group=239.79.1.1
port=9000
in_port_hex=$(printf '%04X' "$port")
out_group() { echo "239.79.2.$1"; } # output k of a rule (1-based)

# ---- measurements ---------------------------------------------------------------------------------------------------
clk_tck=$(getconf CLK_TCK)
# A CPU's line of /proc/stat (default: the relay's): "busy total irq+softirq" in ticks; busy =
# user+nice+system+irq+softirq.
cpu_sample() {
    local name user nice system idle iowait irq softirq steal rest cpu=${1:-$relay_cpu}
    while read -r name user nice system idle iowait irq softirq steal rest; do
        if [[ $name == "cpu$cpu" ]]; then
            echo "$((user + nice + system + irq + softirq)) $((user + nice + system + idle + iowait + irq + softirq \
                + steal)) $((irq + softirq))"
            return
        fi
    done </proc/stat
}
# utime + stime (ticks) of the live processes of session SID: a relay and everything it started.
session_ticks() {
    [[ -n $1 ]] || { echo 0; return; }
    # cat, not awk, opens the files: a process that ends meanwhile is skipped, not fatal.
    { cat /proc/[0-9]*/stat 2>/dev/null || true; } | awk -v sid="$1" '{ s = $0; sub(/^.*\) /, "", s); split(s, f, " ")
        if (f[4] == sid) t += f[12] + f[13] } END { print t + 0 }'
}
# A device counter in the relay namespace: FIELD 2 = rx_packets, 10 = tx_packets (after "DEV:" in /proc/net/dev).
dev_counter() {
    local line fields
    while IFS= read -r line; do
        if [[ $line == *" $1:"* ]]; then
            read -r -a fields <<<"${line#*:}"
            echo "${fields[$(($2 - 1))]}"
            return
        fi
    done <"/proc/$relay_view/net/dev"
    echo 0
}
# Packets a CPU's input backlog dropped (net.core.netdev_max_backlog was reached): /proc/net/softnet_stat, the CPU's
# line, second field (hex).
backlog_drops() {
    local line fields n=0
    while read -r -a fields; do
        if [[ $n -eq $1 ]]; then
            echo $((16#${fields[1]}))
            return
        fi
        n=$((n + 1))
    done </proc/net/softnet_stat
    echo 0
}
# mcrelay's own drops so far, from its `stats --json` in FILE: "RING SEND" where RING = ring_full + staging_full (the
# top-level drops, which come before the per-input copies) and SEND = every rule's buffer_full + no_buffer_space +
# send_error + link_down.
mcrelay_drops() {
    grep -o '"[a-z_]*":[0-9]*' "$1" 2>/dev/null | awk -F '[":]+' '
        ($2 == "ring_full" || $2 == "staging_full") && !seen[$2]++ { ring += $3 }
        $2 == "buffer_full" || $2 == "no_buffer_space" || $2 == "send_error" || $2 == "link_down" { send += $3 }
        END { print ring + 0, send + 0 }'
}
json_field() { sed -n "s/.*\"$2\":\([0-9.]*\).*/\1/p" "$1" | head -n 1; }

# ---- the relays -----------------------------------------------------------------------------------------------------
relay_sid=""
relay_label=""
start_relay() { # NAME OUTPUTS: starts it in the relay namespace on the relay CPU; returns 1 (with a note) to skip
    local name=$1 outputs=$2 k
    relay_sid=""
    case $name in
        mcrelay)
            relay_label="mcrelay (1 worker${supervisor_args:+; supervisor $supervisor_args})"
            mkdir -p "$tmp/mcrelay"
            rm -rf -- "$tmp/mcrelay/journal"
            local sup_args=()
            [[ -z $supervisor_args ]] || read -r -a sup_args <<<"$supervisor_args"
            setsid taskset -c "$relay_cpu" ip netns exec "$relay" "$mcrelay" supervisor --workers 1 \
                --socket "$tmp/mcrelay/control.sock" --journal "$tmp/mcrelay/journal" ${sup_args[@]+"${sup_args[@]}"} \
                >"$tmp/mcrelay/daemon.log" 2>&1 &
            relay_sid=$!
            started+=("$relay_sid")
            local tries=0
            until "$mcrelay" ping --socket "$tmp/mcrelay/control.sock" >/dev/null 2>&1; do
                tries=$((tries + 1))
                if [[ $tries -gt 120 ]] || ! kill -0 "$relay_sid" 2>/dev/null; then
                    notes+=("mcrelay did not start: $(tail -n 3 "$tmp/mcrelay/daemon.log" | tr '\n' ' ')")
                    return 1
                fi
                pause 0.5
            done
            local outs=()
            for ((k = 1; k <= outputs; k++)); do
                outs+=(--output "$(out_group "$k"):$port:r1:1")
            done
            # Answered once every worker applied the rule: from here on it forwards.
            if ! "$mcrelay" add --socket "$tmp/mcrelay/control.sock" --id bench --input-interface r0 \
                --input-group "$in_group" --input-port "$port" "${outs[@]}" >"$tmp/mcrelay/add.log" 2>&1; then
                notes+=("mcrelay refused the rule: $(tr '\n' ' ' <"$tmp/mcrelay/add.log")")
                return 1
            fi
            ;;
        kernel)
            relay_label="kernel (smcroute)"
            if ! command -v smcrouted >/dev/null; then
                notes+=("kernel forwarding skipped: smcroute is not installed (apt-get install smcroute)")
                return 1
            fi
            if ! ip netns exec "$relay" test -e /proc/net/ip_mr_vif; then
                notes+=("kernel forwarding skipped: this kernel has no IPv4 multicast routing (CONFIG_IP_MROUTE is off: no /proc/net/ip_mr_vif)")
                return 1
            fi
            if [[ $outputs -ne 1 ]]; then
                notes+=("kernel forwarding measured with 1 output only: it cannot rewrite the group nor send several copies out of one interface")
                return 1
            fi
            printf 'phyint r0 enable\nphyint r1 enable\nmroute from r0 group %s to r1\n' "$in_group" \
                >"$tmp/smcroute.conf"
            ip netns exec "$relay" sysctl -qw net.ipv4.ip_forward=1
            setsid taskset -c "$relay_cpu" ip netns exec "$relay" smcrouted -n -N -l err -f "$tmp/smcroute.conf" \
                -u "$tmp/smcroute.sock" -P "$tmp/smcroute.pid" >"$tmp/smcroute.log" 2>&1 &
            relay_sid=$!
            started+=("$relay_sid")
            pause 1
            if ! kill -0 "$relay_sid" 2>/dev/null; then
                notes+=("kernel forwarding skipped: smcrouted did not start: $(tr '\n' ' ' <"$tmp/smcroute.log")")
                return 1
            fi
            ;;
        socat)
            relay_label="socat (a process per output)"
            if ! command -v socat >/dev/null; then
                notes+=("socat skipped: it is not installed (apt-get install socat)")
                return 1
            fi
            local script=""
            for ((k = 1; k <= outputs; k++)); do
                script+="socat -u UDP4-RECV:$port,reuseaddr,ip-add-membership=$in_group:10.79.1.2 "
                script+="UDP4-SENDTO:$(out_group "$k"):$port,ip-multicast-if=10.79.2.1,ip-multicast-ttl=1 & "
            done
            setsid taskset -c "$relay_cpu" ip netns exec "$relay" bash -c "${script}wait" >"$tmp/socat.log" 2>&1 &
            relay_sid=$!
            started+=("$relay_sid")
            pause 0.5
            ;;
        c)
            relay_label="C ring relay (the floor)"
            if ! command -v cc >/dev/null; then
                notes+=("the C ring relay skipped: no C compiler (cc) on this machine")
                return 1
            fi
            if [[ ! -x $tmp/ring-relay ]] && ! cc -O2 -Wall -o "$tmp/ring-relay" "$root/benchmarks/c/ring-relay.c" \
                2>"$tmp/cc.log"; then
                notes+=("the C ring relay skipped: it did not compile: $(head -n 3 "$tmp/cc.log" | tr '\n' ' ')")
                return 1
            fi
            local dests=()
            for ((k = 1; k <= outputs; k++)); do
                dests+=("$(out_group "$k"):$port")
            done
            setsid taskset -c "$relay_cpu" ip netns exec "$relay" "$tmp/ring-relay" r0 "$in_group" "$port" r1 \
                "${dests[@]}" >"$tmp/ring-relay.log" 2>&1 &
            relay_sid=$!
            started+=("$relay_sid")
            pause 0.5
            ;;
        *)
            notes+=("unknown relay '$name' skipped (mcrelay, kernel, socat or c)")
            return 1
            ;;
    esac
    kill -0 "$relay_sid" 2>/dev/null || { notes+=("$name exited at start"); return 1; }
    prioritise_session "$relay_sid"
}
logs=$(dirname -- "$out")/e2e-logs
stop_relay() { # NAME OUTPUTS: stops it and keeps its log beside --out
    [[ -n $relay_sid ]] || return 0
    kill -TERM -- "-$relay_sid" 2>/dev/null || true
    reap "$relay_sid"
    relay_sid=""
    mkdir -p "$logs"
    local log
    for log in "$tmp/mcrelay/daemon.log" "$tmp/smcroute.log" "$tmp/socat.log" "$tmp/ring-relay.log"; do
        [[ -f $log ]] && mv -- "$log" "$logs/$1-$2$round_tag-$(basename -- "$log")"
    done
    return 0
}

# ---- one point: sinks, warm-up, measured run ------------------------------------------------------------------------
rows=$tmp/rows.tsv
: >"$rows"
# run_point NAME SIZE OUTPUTS RATE COUNT KIND: appends a row; sets point_pass (0/1) and point_sent_rate.
run_point() {
    local name=$1 size=$2 outputs=$3 rate=$4 count=$5 kind=$6 k
    local sinks=() groups=() run_id
    # The counted run's id, told to the sinks in advance: the warm-up, and any straggler of an earlier point still in
    # a relay, are foreign to them, and counting (drops and bursts too) starts at this run's first packet.
    run_id=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
    for ((k = 1; k <= outputs; k++)); do
        if [[ $name == kernel ]]; then groups+=("$in_group"); else groups+=("$(out_group "$k")"); fi
    done
    for ((k = 0; k < outputs; k++)); do
        ip netns exec "$sink" "$mcrelay" sink --group "${groups[$k]}" --port "$port" --interface k0 \
            --expect "$count" --timeout 10 --run-id "$run_id" --receive-buffer "$sink_buffer" --json \
            >"$tmp/sink.$k.json" 2>"$tmp/sink.$k.err" &
        sinks+=($!)
        started+=($!)
    done
    # Bound and joined (the join follows the bind at once; the warm-up covers the rest).
    local tries=0
    while [[ $(grep -c ":$in_port_hex " "/proc/$sink_view/net/udp" || true) -lt $outputs ]]; do
        tries=$((tries + 1))
        [[ $tries -lt 400 ]] || { note "the sinks did not bind port $port"; break; }
        pause 0.05
    done
    local warm_rate=$((warmup_rate == 0 || rate < warmup_rate ? rate : warmup_rate))
    local warm_count=$((warm_rate * warmup_s))
    local idle0 idle1 stats0=""
    idle0=$(cpu_sample)
    pause 0.5
    idle1=$(cpu_sample)
    if [[ $name == mcrelay ]]; then # its own counters before the run (the CLI runs on this CPU, not the relay's)
        stats0=$logs/mcrelay-$outputs-$size-$rate-$kind$round_tag.before.json
        "$mcrelay" stats --json --socket "$tmp/mcrelay/control.sock" >"$stats0" 2>&1 || true
    fi

    # One generator process sends the warm-up (another run id: the sinks count none of it), pauses (--warmup-pause),
    # then the run: its JIT compiles during the warm-up, not on the sinks' CPU during the counted run.
    local rx0 tx0 cpu0 kit0 own0 rx
    rx0=$(dev_counter r0 2)
    ip netns exec "$src" "$mcrelay" gen --group "$in_group" --port "$port" --interface s0 --size "$size" \
        --rate "$rate" --count "$count" --ttl 2 --run-id "$run_id" --warmup "$warm_count" --warmup-rate "$warm_rate" \
        --warmup-pause "$warmup_pause_ms" \
        --json >"$tmp/gen.json" 2>"$tmp/gen.err" &
    local gen=$!
    started+=("$gen")
    # The window opens when the relay's input sees the run (past the warm-up), and closes when its output has been
    # quiet for 40 ms.
    while kill -0 "$gen" 2>/dev/null; do
        rx=$(dev_counter r0 2)
        [[ $rx -le $((rx0 + warm_count + 10)) ]] || break
        pause 0.002
    done
    cpu0=$(cpu_sample)
    kit0=$(cpu_sample "$gen_cpu")
    own0=$(session_ticks "$relay_sid")
    tx0=$(dev_counter r1 10)
    local in_bl0 out_bl0
    in_bl0=$(backlog_drops "$relay_cpu")
    out_bl0=$(backlog_drops "$gen_cpu")
    reap "$gen"
    local tx prev=-1 quiet=0
    for ((tries = 0; tries < 150 && quiet < 2; tries++)); do
        tx=$(dev_counter r1 10)
        if [[ $tx == "$prev" ]]; then quiet=$((quiet + 1)); else quiet=0; fi
        prev=$tx
        pause 0.02
    done
    local cpu1 kit1 own1 tx1
    cpu1=$(cpu_sample)
    kit1=$(cpu_sample "$gen_cpu")
    own1=$(session_ticks "$relay_sid")
    tx1=$(dev_counter r1 10)
    local in_bl=$(($(backlog_drops "$relay_cpu") - in_bl0)) out_bl=$(($(backlog_drops "$gen_cpu") - out_bl0))
    local own_drops="-"
    if [[ $name == mcrelay ]]; then # its own counters after the run: what it dropped itself, by where
        local stats1=$logs/mcrelay-$outputs-$size-$rate-$kind$round_tag.after.json r0 d0 r1 d1
        "$mcrelay" stats --json --socket "$tmp/mcrelay/control.sock" >"$stats1" 2>&1 || true
        read -r r0 d0 <<<"$(mcrelay_drops "$stats0")"
        read -r r1 d1 <<<"$(mcrelay_drops "$stats1")"
        own_drops="$((r1 - r0)) / $((d1 - d0))"
    fi
    # A sink that has not every packet yet waits for its idle timeout: the relay's output has been quiet, so what it
    # has is all it gets. SIGTERM makes it print its summary now (background jobs here ignore SIGINT).
    for ((tries = 0; tries < 25; tries++)); do
        local running=0
        for k in "${sinks[@]}"; do
            kill -0 "$k" 2>/dev/null && running=1
        done
        [[ $running -eq 1 ]] || break
        pause 0.02
    done
    for k in "${sinks[@]}"; do
        kill -TERM "$k" 2>/dev/null || true
        reap "$k"
    done
    for ((k = 0; k < outputs; k++)); do # what each sink said, for whoever reads the logs
        cat "$tmp/sink.$k.json" "$tmp/sink.$k.err" >"$logs/$name-$outputs-$size-$rate-$kind$round_tag.sink$k.txt" \
            2>/dev/null || true
    done

    local received=0 lost=0 dup=0 reord=0 corrupt=0 drops=0 burst=0 delay999=0 delaymax=0 v
    for ((k = 0; k < outputs; k++)); do
        local f=$tmp/sink.$k.json
        if [[ ! -s $f ]]; then
            note "sink $k printed nothing: $(head -c 300 "$tmp/sink.$k.err")"
            lost=$((lost + count))
            continue
        fi
        received=$((received + $(json_field "$f" received)))
        lost=$((lost + $(json_field "$f" lost)))
        dup=$((dup + $(json_field "$f" duplicates)))
        reord=$((reord + $(json_field "$f" reordered)))
        corrupt=$((corrupt + $(json_field "$f" corrupt)))
        drops=$((drops + $(json_field "$f" socket_drops)))
        v=$(json_field "$f" burst_max)
        burst=$((v > burst ? v : burst))
        v=$(json_field "$f" p99_9)
        delay999=$((${v:-0} > delay999 ? ${v:-0} : delay999))
        v=$(json_field "$f" max)
        delaymax=$((${v:-0} > delaymax ? ${v:-0} : delaymax))
    done
    local sent_rate
    sent_rate=$(json_field "$tmp/gen.json" rate_pps)
    sent_rate=${sent_rate:-0}
    local expected=$((count * outputs))
    point_pass=0
    [[ $((lost * 1000)) -le $((expected * loss_max_permille)) && $received -gt 0 ]] && point_pass=1
    point_sent_rate=${sent_rate%.*}
    # relay CPU %, µs per forwarded packet by the CPU's busy time, and by the relay's processes + the CPU's irq/softirq.
    read -r b0 t0 s0 <<<"$cpu0"
    read -r b1 t1 s1 <<<"$cpu1"
    read -r ib0 it0 _ <<<"$idle0"
    read -r ib1 it1 _ <<<"$idle1"
    read -r kb0 kt0 _ <<<"$kit0"
    read -r kb1 kt1 _ <<<"$kit1"
    local kit_busy=$(((kb1 - kb0) * 100 / (kt1 - kt0 > 0 ? kt1 - kt0 : 1)))
    local fwd=$((tx1 - tx0))
    local figures
    figures=$(awk -v b=$((b1 - b0)) -v t=$((t1 - t0)) -v s=$((s1 - s0)) -v own=$((own1 - own0)) -v fwd="$fwd" \
        -v hz="$clk_tck" -v ib=$((ib1 - ib0)) -v it=$((it1 - it0)) -v lost="$lost" -v expected="$expected" 'BEGIN {
            us = 1e6 / hz
            busy = (t > 0) ? 100 * b / t : 0
            per = (fwd > 0) ? sprintf("%.2f", b * us / fwd) : "-"
            own_per = (fwd > 0) ? sprintf("%.2f", (own + s) * us / fwd) : "-"
            idle = (it > 0) ? 100 * ib / it : 0
            printf "%.3f\t%.0f\t%s\t%s\t%.0f", 100 * lost / expected, busy, per, own_per, idle }')
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$size" "$outputs" "$rate" \
        "${sent_rate%.*}" "$expected" "$received" "$lost" "$dup" "$reord" "$corrupt" "$drops" "$burst" "$kind" \
        "$figures	$in_bl	$out_bl	$own_drops	$delay999	$delaymax	$kit_busy	$round" >>"$rows"
    note "$(printf '%-7s %4sB x%s %6s/s sent %6s/s recv %8s/%-8s lost %7s sinkdrop %6s backlog %s/%s burst %6s delay99.9/max %s/%s us kit %s%% cpu%%,us,own,idle%% %s' \
        "$name" "$size" "$outputs" "$rate" "${sent_rate%.*}" "$received" "$expected" "$lost" "$drops" "$in_bl" \
        "$out_bl" "$burst" "$delay999" "$delaymax" "$kit_busy" "$(cut -f 2- <<<"$figures" | tr '\t' ' ')")"
}

# A series: the fixed rates, then an RFC 2544 search for the highest rate that loses at most 0.1 %.
throughput=$tmp/throughput.tsv
: >"$throughput"
run_series() { # NAME SIZE OUTPUTS
    local name=$1 size=$2 outputs=$3 r lo=0 hi=0 lo_sent=0 hi_sent=0
    for r in "${rate_list[@]}"; do
        run_point "$name" "$size" "$outputs" "$r" $((r * duration_s)) fixed
        if [[ $point_pass -eq 1 ]]; then
            if [[ $hi -eq 0 && $r -gt $lo ]]; then lo=$r; lo_sent=$point_sent_rate; fi
        elif [[ $hi -eq 0 || $r -lt $hi ]]; then
            hi=$r; hi_sent=$point_sent_rate
        fi
    done
    local bound="" steps=$search_steps
    if [[ $search_steps -eq 0 ]]; then
        bound="not searched (--search-steps 0)"
    elif [[ $hi -eq 0 ]]; then
        # Lossless at every fixed rate: ask for more than the generator can send (about 400,000 packets).
        run_point "$name" "$size" "$outputs" "$rate_cap" $((400000 * duration_s / 3)) search
        if [[ $point_pass -eq 1 ]]; then
            lo=$point_sent_rate; lo_sent=$point_sent_rate; steps=0
            bound="at least: the generator's own limit"
        else
            hi=$point_sent_rate; hi_sent=$point_sent_rate
        fi
    fi
    while [[ $steps -gt 0 && $hi -gt 0 && $((hi - lo)) -gt $((hi / 50)) ]]; do
        local mid=$(((lo + hi) / 2 / 1000 * 1000))
        [[ $mid -gt $lo ]] || break
        run_point "$name" "$size" "$outputs" "$mid" $((mid * duration_s)) search
        if [[ $point_pass -eq 1 ]]; then lo=$mid; lo_sent=$point_sent_rate; else hi=$mid; hi_sent=$point_sent_rate; fi
        steps=$((steps - 1))
    done
    [[ -n $bound ]] || bound=$([[ $lo -eq 0 ]] && echo "below the lowest rate tried" || echo "fails at $hi/s")
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$size" "$outputs" "$lo" "$lo_sent" "$bound" "$round" \
        >>"$throughput"
}

# ---- the run --------------------------------------------------------------------------------------------------------
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
git -C "$root" diff --quiet HEAD 2>/dev/null || commit="$commit (with uncommitted changes)"
mkdir -p "$logs"
started_at=$(date -u '+%Y-%m-%d %H:%M UTC')
load_start=$(cut -d ' ' -f 1-3 /proc/loadavg)
declare -A labels
round_tag=""  # in the logs' names, where there are rounds
for ((round = 1; round <= repeat; round++)); do
    [[ $repeat -eq 1 ]] || { round_tag=-r$round; note "round $round of $repeat"; }
    for outputs in "${output_counts[@]}"; do
        for name in "${relay_names[@]}"; do
            if ! start_relay "$name" "$outputs"; then
                note "${notes[-1]}"
                stop_relay "$name" "$outputs"
                continue
            fi
            labels[$name]=$relay_label
            note "$relay_label, $outputs output(s): started"
            for size in "${size_list[@]}"; do
                run_series "$name" "$size" "$outputs"
            done
            stop_relay "$name" "$outputs"
        done
    done
done
load_end=$(cut -d ' ' -f 1-3 /proc/loadavg)

# ---- the report -----------------------------------------------------------------------------------------------------
# awk functions for the medians (mawk has no sort): stats(LIST) of a space-separated list of numbers is "median min max".
median_awk='
    function stats(list,   a, n, i, j, t, med) {
        n = split(list, a, " ")
        for (i = 2; i <= n; i++) { t = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
        if (n == 0) return "- - -"
        med = (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
        return med " " a[1] " " a[n]
    }
    function med(list,   q) { split(stats(list), q, " "); return q[1] }'
# medians SIZE OUTPUTS: the fixed-rate points of every round, one line per relay and rate. The last column divides a
# relay's µs/pkt by the C relay's at the same point of the same round (measured minutes apart), then takes the median.
medians() {
    echo "Medians of the $repeat rounds at the fixed rates (each trial is in the table under it); *worst loss %* the" \
        "largest of the rounds, *lossless* the rounds that lost at most 0.1 %."
    echo
    echo "| relay | offered/s | trials | sent/s | loss % | worst loss % | lossless | burst | delay 99.9 % ms" \
        "| kit CPU % | CPU % | µs/pkt (min–max) | own µs/pkt | µs/pkt ÷ the C relay's, same round (min–max) |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    awk -F '\t' -v s="$1" -v o="$2" -v lossmax="$loss_max_permille" "$median_awk"'
        $2 != s || $3 != o || $14 != "fixed" { next }
        FNR == NR { if ($1 == "c" && $17 != "-") cper[$4 SUBSEP $26] = $17; next }
        {   k = $1 SUBSEP $4
            if (!(k in trials)) order[n++] = k
            trials[k]++
            sent[k] = sent[k] " " $5; loss[k] = loss[k] " " $15; burst[k] = burst[k] " " $13
            delay[k] = delay[k] " " $23 / 1000; kit[k] = kit[k] " " $25; busy[k] = busy[k] " " $16
            if ($17 != "-") per[k] = per[k] " " $17
            if ($18 != "-") own[k] = own[k] " " $18
            if ($8 * 1000 <= $6 * lossmax && $7 > 0) pass[k]++
            if ($1 != "c" && $17 != "-" && (($4 SUBSEP $26) in cper) && cper[$4 SUBSEP $26] > 0)
                ratio[k] = ratio[k] " " $17 / cper[$4 SUBSEP $26]
        }
        END {
            for (i = 0; i < n; i++) {
                k = order[i]; split(k, f, SUBSEP)
                split(stats(loss[k]), l, " "); split(stats(per[k]), p, " "); split(stats(ratio[k]), r, " ")
                so = med(own[k])
                rt = (f[1] == "c") ? "1" : (r[1] == "-") ? "-" : sprintf("%.2f (%.2f–%.2f)", r[1], r[2], r[3])
                pt = (p[1] == "-") ? "-" : sprintf("%.2f (%.2f–%.2f)", p[1], p[2], p[3])
                printf "| %s | %d | %d | %d | %.3f | %.3f | %d | %d | %.1f | %d | %d | %s | %s | %s |\n", f[1], f[2],
                    trials[k], med(sent[k]), l[1], l[3], pass[k] + 0, med(burst[k]), med(delay[k]), med(kit[k]),
                    med(busy[k]), pt, (so == "-") ? "-" : sprintf("%.2f", so), rt
            }
        }' "$rows" "$rows"
}

cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
if ((warmup_rate == 0)); then warm_words="the point's own rate"; else warm_words="up to $warmup_rate/s"; fi
if ((sink_buffer == 0)); then
    sink_words="the system's default (net.core.rmem_default, $(sysctl -n net.core.rmem_default) bytes)"
else
    sink_words="$sink_buffer bytes"
fi
rounds_words=""
[[ $repeat -eq 1 ]] || rounds_words="$repeat rounds, each running every relay in turn at every point (the order above)."
section=$tmp/section.md
{
    echo "## End-to-end: mcrelay, kernel forwarding, socat and the C ring relay ($started_at)"
    echo
    echo "\`benchmarks/e2e.sh\` at $commit. Machine: $(nproc --all) CPUs ($cpu_model), kernel $(uname -r)," \
        "$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo); load average at the start" \
        "$load_start, at the end $load_end (1, 5, 15 min). Generator and sinks on CPU $gen_cpu, the relay on CPU" \
        "$relay_cpu, everything at nice $nice_level; each point ${duration_s} s of packets after a ${warmup_s} s warm-up run at $warm_words and a pause of ${warmup_pause_ms} ms" \
        "(not counted; from the same generator process, so its JIT is warm); sinks' receive buffers $sink_words." \
        "$rounds_words Compare relays within this run only: other loads" \
        "on a shared machine move absolute figures by tens of percent."
    echo
    echo "Columns: *offered* the rate asked of \`mcrelay gen\`, *sent* what it achieved; *received*, *lost*," \
        "*dup*, *reord*, *corrupt* summed over the outputs' sinks (\`lost\` includes *sink drops*, the sinks' own" \
        "socket drops); *backlog drops in / out* packets dropped in the window because a CPU's input backlog was full" \
        "(\`net.core.netdev_max_backlog\`, \`/proc/net/softnet_stat\`): *in* on the relay's CPU (its input, before any" \
        "relay saw it), *out* on the sinks' CPU (the relay's output, after it left the relay; also counted in *lost*); *kit-free loss %* what is" \
        "left of the loss without the sinks' drops and the out-backlog drops (a bunching relay causes those too, so" \
        "the throughput below counts every loss, as RFC 2544 does); *relay's drops ring / send* what mcrelay's own" \
        "counters say it dropped in the point (\`stats --json\`: ring_full + staging_full / buffer_full +" \
        "no_buffer_space + send_error + link_down; the C relay never drops at send: its socket blocks);" \
        "*burst* the largest \`burst_max\` of the sinks; *delay 99.9 % / max* the sinks' transit delays (the" \
        "generator's send time to the kernel's arrival time at the sink, which the sink's own speed does not change:" \
        "a relay that holds packets and sends them in a bunch shows here), the largest over the sinks; *kit CPU %* the" \
        "busy share of the generator's and sinks' CPU (near 100, the kit itself is the limit: its sinks drop whatever" \
        "the relay does); *CPU %* the relay CPU's busy share;" \
        "*µs/pkt* its busy time (user, system, irq, softirq from \`/proc/stat\`) per packet forwarded (each output's" \
        "copy counts; packets sent out of the relay's output interface in the window); *own µs/pkt* the relay's" \
        "processes' CPU time plus that CPU's irq and softirq, per packet (less disturbed by other loads); *idle CPU %*" \
        "the relay CPU's busy share in the half second before the point, with the relay idle (other loads, idle polling)."
    for outputs in "${output_counts[@]}"; do
        for size in "${size_list[@]}"; do
            if ! awk -F '\t' -v s="$size" -v o="$outputs" '$2 == s && $3 == o { found = 1 } END { exit !found }' \
                "$rows"; then
                continue
            fi
            echo
            echo "### $size-byte payloads, $outputs output(s)"
            if [[ $repeat -gt 1 ]]; then
                echo
                medians "$size" "$outputs"
                echo
                echo "<details><summary>each trial</summary>"
            fi
            echo
            echo "| relay | offered/s | sent/s | received | loss % | lost | dup | reord | corrupt | sink drops" \
                "| backlog drops in / out | kit-free loss % | relay's drops ring / send | burst" \
                "| delay 99.9 % / max ms | kit CPU % | CPU % | µs/pkt | own µs/pkt | idle CPU % | point |"
            echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
            awk -F '\t' -v s="$size" -v o="$outputs" -v rounds="$repeat" '$2 == s && $3 == o {
                kitfree = ($6 > 0) ? 100 * ($8 - $12 - $21) / $6 : 0
                point = (rounds > 1) ? $14 ", round " $26 : $14
                printf "| %s | %d | %d | %d | %s | %d | %d | %d | %d | %d | %d / %d | %.3f | %s | %d | %.1f / %.1f | %d | %s | %s | %s | %s | %s |\n",
                    $1, $4, $5, $7, $15, $8, $9, $10, $11, $12, $20, $21, kitfree, $22, $13, $23 / 1000, $24 / 1000,
                    $25, $16, $17, $18, $19, point }' \
                "$rows"
            if [[ $repeat -gt 1 ]]; then
                echo
                echo "</details>"
            fi
        done
    done
    echo
    echo "### Throughput (RFC 2544: the highest offered rate losing at most 0.1 %, by a short search)"
    echo
    if [[ $repeat -gt 1 ]]; then
        echo "Each round's search, then the median over the rounds of each relay's throughput, and of what its" \
            "generator sent there (below the offer where the kit's CPU was the limit: compare those)."
        echo
        echo "| relay | payload | outputs | throughput (packets/s offered) | sent/s there | bound | round |"
        echo "|---|---:|---:|---:|---:|---|---:|"
        awk -F '\t' '{ printf "| %s | %s B | %s | %d | %d | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7 }' "$throughput"
        echo
        echo "| relay | payload | outputs | median throughput (min–max), packets/s offered | sent/s there (min–max)" \
            "| rounds |"
        echo "|---|---:|---:|---:|---:|---:|"
        awk -F '\t' "$median_awk"'
            { k = $1 SUBSEP $2 SUBSEP $3; if (!(k in v)) order[n++] = k; v[k] = v[k] " " $4; w[k] = w[k] " " $5
                c[k]++ }
            END { for (i = 0; i < n; i++) { k = order[i]; split(k, f, SUBSEP); split(stats(v[k]), q, " ")
                split(stats(w[k]), x, " ")
                printf "| %s | %s B | %s | %d (%d–%d) | %d (%d–%d) | %d |\n", f[1], f[2], f[3], q[1], q[2], q[3],
                    x[1], x[2], x[3], c[k] } }' "$throughput"
    else
        echo "| relay | payload | outputs | throughput (packets/s offered) | sent/s there | bound |"
        echo "|---|---:|---:|---:|---:|---|"
        awk -F '\t' '{ printf "| %s | %s B | %s | %d | %d | %s |\n", $1, $2, $3, $4, $5, $6 }' "$throughput"
    fi
    echo
    for name in "${relay_names[@]}"; do
        [[ -n ${labels[$name]:-} ]] && echo "- \`$name\`: ${labels[$name]}."
    done
    for n in "${notes[@]}"; do
        echo "- $n."
    done | awk '!seen[$0]++'
} >"$section"

publish_section "$section" "$out" "$write_results"
