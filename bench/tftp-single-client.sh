#!/usr/bin/env bash
# One client reading one file over TFTP, bootstorm against tftpd-hpa, side by side in one run
# on the same lab wire; plus the dataplane's CPU use while idle. A stopgap until
# bootstorm-bench (issue #7) measures storms; docs/BENCHMARKS.md quotes its output.
#
# Usage: sudo bench/tftp-single-client.sh [SIZE_MIB (default 64)] [RUNS (default 3)]
# Needs a build (BS_BUILD_DIR, default build) and the lab payload (tools/lab/payload).
#
# Topology: the client is namespace bs-c0 (the lab's), both servers hang off bs-br0:
#   bootstorm  10.77.0.1  DPDK net_af_packet on bs-veth0 (namespace bs-srv)
#   tftpd-hpa  10.77.0.2  in.tftpd on a kernel veth (namespace <prefix>-peer, bs_peer_add), same TFTP root
set -euo pipefail
# shellcheck source=../tools/lab/lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tools/lab/lib.sh"
bs_require_root

size_mib=${1:-64}
runs=${2:-3}
peer_ip=10.77.0.2
file=bench-${size_mib}m.bin
work=$(mktemp -d /tmp/bs-bench.XXXXXX)

cleanup() {
    bs_appliance_stop
    bs_ns_del "$BS_LAB_PREFIX-peer"
    rm -f "$BS_TFTP_ROOT/$file"
    "$BS_REPO/tools/lab/net" down >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

# tftpd-hpa's server without installing its service (it would start one on the host).
tftpd=$BS_CACHE_DIR/tftpd-hpa/usr/sbin/in.tftpd
if [[ ! -x $tftpd ]]; then
    mkdir -p "$BS_CACHE_DIR/tftpd-hpa"
    (cd "$work" && apt-get download -q tftpd-hpa >/dev/null && dpkg -x tftpd-hpa_*.deb "$BS_CACHE_DIR/tftpd-hpa")
fi
dpkg-query -W -f='${Status}' libwrap0 2>/dev/null | grep -q "ok installed" ||
    apt-get install -y -q --no-install-recommends libwrap0 >/dev/null

"$BS_REPO/tools/lab/net" up >/dev/null
bs_peer_add peer "$peer_ip/24"
ip -n "$BS_NS_C0" addr add 10.77.0.50/24 dev "$BS_C0_IF" 2>/dev/null || true

head -c $((size_mib << 20)) /dev/urandom >"$BS_TFTP_ROOT/$file"
rm -rf "$BS_STATE_DIR"
bs_appliance_start "$work/appliance.log"
bs_appliance_wait_ready 60
ip netns exec "$BS_PEER_NS" "$tftpd" -L -s -a "$peer_ip:69" "$BS_TFTP_ROOT" &

# Idle CPU of the dataplane process (all its threads), over 20 s.
sleep 5
dp=$(pgrep -f "bootstorm-dataplane --config $BS_CONFIG" | head -1)
hz=$(getconf CLK_TCK)
t0=$(awk '{print $14 + $15}' "/proc/$dp/stat")
sleep 20
t1=$(awk '{print $14 + $15}' "/proc/$dp/stat")
idle_pct=$(awk -v d=$((t1 - t0)) -v hz="$hz" 'BEGIN { printf "%.1f", d / hz / 20 * 100 }')

# time_read SERVER BLKSIZE: seconds for one read (curl), checked byte for byte.
time_read() {
    local start end
    start=$(date +%s.%N)
    ip netns exec "$BS_NS_C0" curl -sS --max-time 300 --tftp-blksize "$2" \
        -o "$work/out" "tftp://$1/$file"
    end=$(date +%s.%N)
    cmp -s "$work/out" "$BS_TFTP_ROOT/$file" || bs_die "$1 served a different file"
    awk -v s="$start" -v e="$end" 'BEGIN { printf "%.2f", e - s }'
}

median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

echo "TFTP read of a ${size_mib} MiB file by one client (curl, lock-step), median of $runs runs, seconds"
echo
echo "| blksize | bootstorm | tftpd-hpa 5.2 | tftpd-hpa / bootstorm |"
echo "|---|---|---|---|"
for blk in 512 1468; do
    a=() b=()
    for ((i = 0; i < runs; i++)); do
        a+=("$(time_read "$BS_SERVER_IP" "$blk")")
        b+=("$(time_read "$peer_ip" "$blk")")
    done
    ma=$(median "${a[@]}")
    mb=$(median "${b[@]}")
    echo "| $blk | $ma | $mb | $(awk -v a="$ma" -v b="$mb" 'BEGIN { printf "%.2f", b / a }') |"
done
echo
echo "dataplane CPU while idle (20 s, all threads): ${idle_pct}% of one core"
