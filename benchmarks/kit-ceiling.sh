#!/usr/bin/env bash
# The traffic kit's own ceiling: `mcrelay gen` -> `mcrelay sink` over one veth pair between two network namespaces
# made here, no relay in between, at 64- and 1,200-byte payloads. What it prints is what benchmarks/RESULTS.md
# records: the generator's achieved rate and what the sink counted (received, lost, socket_drops).
#   usage: benchmarks/kit-ceiling.sh [COUNT] [RATE]     (root; default 500000 packets at 1000000 packets/s)
# Traffic stays inside the two namespaces, which are removed on every exit path.
set -euo pipefail

count=${1:-500000}
rate=${2:-1000000}
root=$(dirname -- "$(readlink -f -- "${BASH_SOURCE[0]}")")/..
mcrelay=$root/mcrelay
if [[ $(id -u) -ne 0 ]]; then
    echo "kit-ceiling: needs root (it makes network namespaces)" >&2
    exit 2
fi
src=mcr-kit-src-$$
dst=mcr-kit-dst-$$
cleanup() {
    ip netns del "$src" 2>/dev/null || true
    ip netns del "$dst" 2>/dev/null || true
}
trap cleanup EXIT
ip netns add "$src"
ip netns add "$dst"
ip link add kit0 netns "$src" type veth peer name kit1 netns "$dst"
ip -n "$src" addr add 10.79.0.1/24 dev kit0
ip -n "$dst" addr add 10.79.0.2/24 dev kit1
ip -n "$src" link set kit0 up
ip -n "$dst" link set kit1 up
ip -n "$src" link set lo up
ip -n "$dst" link set lo up

for size in 64 1200; do
    out=$(mktemp)
    ip netns exec "$dst" "$mcrelay" sink --group 239.79.0.1 --port 9000 --interface kit1 --expect "$count" \
        --timeout 5 --json >"$out" 2>&1 &
    sink=$!
    sleep 2 # the sink's JVM starts and joins the group
    sent=$(ip netns exec "$src" "$mcrelay" gen --group 239.79.0.1 --port 9000 --interface kit0 --size "$size" \
        --rate "$rate" --count "$count" --json)
    wait "$sink" || true
    echo "size=$size gen=$sent"
    echo "size=$size sink=$(tail -n 1 "$out")"
    rm -f -- "$out"
done
