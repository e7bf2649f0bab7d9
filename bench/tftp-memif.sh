#!/usr/bin/env bash
# TFTP over net_memif, no kernel in the way: bootstorm-bench (DPDK, the memif client, one lcore)
# reads a file with many simulated clients from the dataplane (the memif server), then the
# dataplane's own counters give the cycles per DATA frame (worker busy TSC cycles / DATA frames
# sent, retransmissions included) and the DATA rate. Prints a markdown section for
# docs/BENCHMARKS.md (also kept in lab/bench/tftp-memif.<prefix>.<stamp>.md).
#
# Usage: sudo bench/tftp-memif.sh
# Environment (defaults):
#   BS_BUILD_DIR=build           bootstorm-dataplane, bootstorm-ctl and bootstorm-bench
#   BS_TM_TRANSFERS=10000        transfers in all
#   BS_TM_CONCURRENCY=10000      transfers at a time, each from its own address (10.77.128.0/17)
#   BS_TM_FILE_KIB=1024          size of the file read (random bytes; every byte is checked)
#   BS_TM_BLKSIZE=1468           blksize the clients ask for
#   BS_TM_WINDOWSIZE=64          windowsize the clients ask for (0: lock-step, no option)
#   BS_TM_TIMEOUT_MS=2000        the clients' re-ACK timeout
#   BS_TM_RSIZE=12               log2 of the memif ring size (the client side chooses; max 14)
#   BS_TM_BENCH_LCORE=0          the bench's lcore; the dataplane's worker is the second of
#                                [server] lcores (default "0,1": CPU 1)
#   BS_TM_HUGEPAGES=512          2 MiB pages reserved for both processes (given back at exit)
#   BS_TM_MAX_SECONDS=600        the bench stops (and reports) after this long
#   BS_TM_CSUM_EVERY=8           the bench verifies the UDP checksum of one DATA frame in N (1:
#                                all); proto::csum_partial is half the bench's time per frame,
#                                every byte's content is checked anyway
#   BS_TM_BENCH_ARGS=            more bootstorm-bench options
#   BS_LAB_PREFIX=tm             names: namespace tm-srv, exception tap tm0, /run/bs-tm
#
# Topology: the dataplane runs in namespace <prefix>-srv (its exception tap lands there, with
# 10.77.0.1/16); its [server] port is net_memif0 in the server role on the socket file
# /run/bs-<prefix>/memif.sock; the bench runs outside any namespace (memif needs only the
# socket file) as the memif client, with its own EAL file prefix.
set -euo pipefail
export BS_LAB_PREFIX=${BS_LAB_PREFIX:-tm}
# shellcheck source=../tools/lab/lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tools/lab/lib.sh"
bs_require_root

transfers=${BS_TM_TRANSFERS:-10000}
concurrency=${BS_TM_CONCURRENCY:-10000}
kib=${BS_TM_FILE_KIB:-1024}
blksize=${BS_TM_BLKSIZE:-1468}
windowsize=${BS_TM_WINDOWSIZE:-64}
timeout_ms=${BS_TM_TIMEOUT_MS:-2000}
rsize=${BS_TM_RSIZE:-12}
bench_lcore=${BS_TM_BENCH_LCORE:-0}
hugepages=${BS_TM_HUGEPAGES:-512}
max_seconds=${BS_TM_MAX_SECONDS:-600}
csum_every=${BS_TM_CSUM_EVERY:-8}
read -r -a bench_extra <<<"${BS_TM_BENCH_ARGS:-}"
client_net=10.77.128.0/17

p=$BS_LAB_PREFIX
stamp=$(date +%Y%m%d-%H%M%S)
outdir=$BS_LAB_DIR/bench/tftp-memif.$p.$stamp
results=$outdir.md
sock_dir=/run/bs-$p
sock=$sock_dir/memif.sock
root=$BS_LAB_DIR/tftp.$p
file=bench-${kib}k.bin
dp_prefix=bootstorm-$p-memif
bench_prefix=bs-bench-$p
work=$(mktemp -d /tmp/bs-tftp-memif.XXXXXX)
dataplane=$BS_BUILD_DIR/dataplane/bootstorm-dataplane
bench=$BS_BUILD_DIR/bench/bootstorm-bench
for b in "$dataplane" "$BS_BUILD_DIR/control/bootstorm-control" "$BS_BUILD_DIR/tools/bootstorm-ctl" "$bench"; do
    [[ -x $b ]] || bs_die "$b not built (ninja -C $BS_BUILD_DIR)"
done
say() { printf '[tftp-memif] %s\n' "$*" >&2; }

hp_sys=/proc/sys/vm/nr_hugepages
hp_prev=
hp_set=
hp_mounted=
bench_pid=

cleanup() {
    set +e
    [[ -n $bench_pid ]] && kill -TERM "$bench_pid" 2>/dev/null && wait "$bench_pid" 2>/dev/null
    bs_appliance_stop
    bs_ns_del "$BS_NS_SRV"
    rm -rf "$root" "$sock_dir" "$work"
    # EAL leaves its hugepage files behind (the dataplane runs without --huge-unlink), and a file
    # in hugetlbfs keeps its pages: remove ours, by our own prefixes only.
    rm -f /dev/hugepages/"$dp_prefix"map_* /dev/hugepages/"$bench_prefix"map_*
    # Give the pages back unless someone changed the count meanwhile.
    if [[ -n $hp_set && $(cat "$hp_sys") == "$hp_set" ]]; then echo "$hp_prev" >"$hp_sys"; fi
    [[ -n $hp_mounted ]] && umount /dev/hugepages
}
trap cleanup EXIT

# --- hugepages ----------------------------------------------------------------------------
# net_memif between two DPDK processes needs hugepages (docs/LAB.md). Pages other processes
# hold count in HugePages_Total (as surplus when nr_hugepages is below it): reserve on top.
hp_prev=$(cat "$hp_sys")
hp_total=$(awk '/^HugePages_Total:/ { print $2 }' /proc/meminfo)
hp_set=$((hp_total + hugepages))
echo "$hp_set" >"$hp_sys"
hp_free=$(awk '/^HugePages_Free:/ { print $2 }' /proc/meminfo)
((hp_free >= hugepages)) || bs_die "asked for $hugepages free 2 MiB hugepages, the kernel gave $hp_free (memory fragmented?)"
if ! mountpoint -q /dev/hugepages; then
    mkdir -p /dev/hugepages
    mount -t hugetlbfs nodev /dev/hugepages
    hp_mounted=1
fi

# --- the appliance ------------------------------------------------------------------------
[[ -f $BS_CONFIG ]] || "$BS_REPO/tools/lab/payload" >/dev/null 2>&1 || bs_die "tools/lab/payload failed"
bs_ns_add "$BS_NS_SRV"
rm -rf "$sock_dir" "$root"
mkdir -p "$sock_dir" "$root" "$outdir"
head -c $((kib << 10)) /dev/urandom >"$root/.$file"
mv "$root/.$file" "$root/$file"
bs_config_variant "$work/bootstorm.toml" \
    "s|^(port[[:space:]]*=[[:space:]]*)\"[^\"]*\"|\1\"net_memif0,role=server,id=0,socket=$sock,socket-abstract=no\"|" \
    "s|^(hugepages[[:space:]]*=[[:space:]]*)false|\1true|" \
    "s|^(file_prefix[[:space:]]*=[[:space:]]*)\"[^\"]*\"|\1\"$dp_prefix\"|" \
    "s|^(address[[:space:]]*=[[:space:]]*\"$BS_SERVER_IP)/24\"|\1/16\"|" \
    "s|^(subnet[[:space:]]*=[[:space:]]*\"10\.77\.0\.0)/24\"|\1/16\"|" \
    "s|^(root[[:space:]]*=[[:space:]]*)\"[^\"]*\"|\1\"$root\"|"
cp "$work/bootstorm.toml" "$outdir/bootstorm.toml"
lcores=$(sed -nE 's/^lcores[[:space:]]*=[[:space:]]*"([^"]*)".*/\1/p' "$work/bootstorm.toml")
lcores=${lcores:-0,1}
say "appliance in $BS_NS_SRV on $sock (log $outdir/appliance.log)"
bs_appliance_start "$outdir/appliance.log" "" "$work/bootstorm.toml"
bs_appliance_wait_ready 90 || { tail -20 "$outdir/appliance.log" >&2; bs_die "the appliance did not come up"; }

# status_tftp JSON: the TFTP counters that move during a run, to tell when they settled.
status_tftp() {
    bs_status_get "$1" dataplane.stats.counters.tftp_done
    bs_status_get "$1" dataplane.stats.counters.tftp_failed
    bs_status_get "$1" dataplane.stats.counters.tftp_data_bytes
}
# The counters before: once the dataplane has sent its first report (every second).
for ((i = 0; i < 20; i++)); do
    bs_appliance_status >"$outdir/status-before.json" || true
    python3 -c 'import json, sys; sys.exit("stats" not in json.load(open(sys.argv[1])).get("dataplane", {}))' \
        "$outdir/status-before.json" 2>/dev/null && break
    sleep 0.5
done

# --- the bench ----------------------------------------------------------------------------
cmd=("$bench" tftp
    --dpdk "net_memif0,role=client,id=0,socket=$sock,socket-abstract=no,rsize=$rsize${BS_TM_MEMIF_ARGS:+,$BS_TM_MEMIF_ARGS}"
    --lcore "$bench_lcore" --file-prefix "$bench_prefix"
    --server "$BS_SERVER_IP" --file "$file" --local-copy "$root/$file"
    --clients "$transfers" --concurrency "$concurrency" --client-net "$client_net"
    --blksize "$blksize" --windowsize "$windowsize" --timeout-ms "$timeout_ms"
    --udp-checksum-every "$csum_every" --max-seconds "$max_seconds" --json "$outdir/bench.json" "${bench_extra[@]}")
say "${cmd[*]}"
# The worker thread's own CPU time (schedstat: ns on a CPU): busy_cycles count TSC cycles of
# busy loop iterations, which include time other processes (a compile on this shared machine)
# took from the worker's core; CPU time does not.
worker_tid=
for pid in $(ip netns pids "$BS_NS_SRV"); do
    [[ $(cat "/proc/$pid/comm" 2>/dev/null) == bootstorm-datap* ]] || continue
    for t in /proc/"$pid"/task/*; do
        [[ $(cat "$t/comm" 2>/dev/null) == rte-worker-* ]] && worker_tid=${t##*/}
    done
done
worker_ns() { if [[ -n $worker_tid ]]; then awk '{ print $1 }' "/proc/$worker_tid/schedstat" 2>/dev/null || echo ''; fi; }
cpu0=$(worker_ns)
t0=$(date +%s.%N)
bench_rc=0
# stderr (EAL's messages, the live progress line on a terminal) goes straight through.
"${cmd[@]}" >"$outdir/bench.txt" &
bench_pid=$!
wait "$bench_pid" || bench_rc=$?
bench_pid=
bench_s=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
cpu1=$(worker_ns)
worker_cpu_ns=$( [[ -n $cpu0 && -n $cpu1 ]] && echo $((cpu1 - cpu0)) || echo '')
cat "$outdir/bench.txt" >&2
[[ -s $outdir/bench.json ]] || bs_die "the bench wrote no report (exit $bench_rc)"

# The dataplane reports its counters once a second: wait until two reports agree.
prev=$(status_tftp "$(bs_appliance_status || true)")
for ((i = 0; i < 30; i++)); do
    sleep 1.5
    bs_appliance_status >"$outdir/status-after.json" || continue
    cur=$(status_tftp "$(cat "$outdir/status-after.json")")
    [[ $cur == "$prev" ]] && break
    prev=$cur
done

# --- the report ---------------------------------------------------------------------------
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
virt=$(systemd-detect-virt 2>/dev/null || true)
mem_gib=$(awk '/^MemTotal:/ { printf "%.0f", $2 / 1048576 }' /proc/meminfo)
dpdk_ver=$(pkg-config --modversion libdpdk 2>/dev/null || echo '?')
gxx=$(c++ -dumpfullversion 2>/dev/null || echo '?')
rev=$(git -C "$BS_REPO" describe --always --dirty 2>/dev/null || echo '?')
worker_lcore=${lcores##*,}

python3 - "$outdir" "$transfers" "$kib" "$blksize" "$windowsize" "$rsize" "$bench_lcore" \
    "$worker_lcore" "$cpu" "$(nproc)" "${virt:-none}" "$(uname -r)" "$mem_gib" "$dpdk_ver" \
    "$rev" "$gxx" "$bench_s" "$timeout_ms" "$worker_cpu_ns" "$csum_every" "sudo BS_BUILD_DIR=$BS_BUILD_DIR BS_TM_TRANSFERS=$transfers BS_TM_CONCURRENCY=$concurrency BS_TM_FILE_KIB=$kib BS_TM_BLKSIZE=$blksize BS_TM_WINDOWSIZE=$windowsize BS_TM_RSIZE=$rsize BS_TM_CSUM_EVERY=$csum_every bench/tftp-memif.sh" \
    "${cmd[*]}" <<'PY' | tee "$results"
import json, sys, datetime
(outdir, transfers, kib, blksize, windowsize, rsize, bench_lcore, worker_lcore, cpu, ncpu, virt,
 kernel, mem_gib, dpdk, rev, gxx, bench_s, timeout_ms, worker_cpu_ns, csum_every, script_cmd,
 bench_cmd) = sys.argv[1:]
b = json.load(open(f"{outdir}/bench.json"))
def counters(name):
    try:
        return json.load(open(f"{outdir}/{name}"))["dataplane"]["stats"]["counters"]
    except (OSError, KeyError, ValueError):
        return {}
c0, c1 = counters("status-before.json"), counters("status-after.json")
def delta(k):
    return c1[k] - c0[k] if k in c0 and k in c1 else None
def fmt(v, spec="{:,}"):
    return "n/a" if v is None else spec.format(v)
busy, frames = delta("busy_cycles"), delta("tftp_data_frames")
mk = b["makespan_s"]
hz = b["bench"]["tsc_hz"]
cpf = busy / frames if busy is not None and frames else None
mpps = frames / mk / 1e6 if frames is not None and mk > 0 else None
worker_busy = 100.0 * busy / (hz * mk) if busy is not None and mk > 0 else None
cpu_s = int(worker_cpu_ns) / 1e9 if worker_cpu_ns else None
cpu_cpf = cpu_s * hz / frames if cpu_s is not None and frames else None
on_cpu = 100.0 * cpu_s / float(bench_s) if cpu_s is not None and float(bench_s) > 0 else None
retx = delta("tftp_retransmits")
lat = b["latency_ms"]
a = b["acks"]
fails = ", ".join(f"{k} {v}" for k, v in b["fail_reasons"].items()) or "none"
size = f"{int(kib) // 1024} MiB" if int(kib) % 1024 == 0 else f"{kib} KiB"
goal_cpf = cpf is not None and cpf < 250
goal_mpps = mpps is not None and mpps >= 1.5
print(f"### TFTP over net_memif: {int(transfers):,} transfers of {size}, blksize {blksize}, "
      f"windowsize {windowsize} ({datetime.date.today()})\n")
print(f"Machine: {cpu}, {ncpu} CPUs ({virt}), {mem_gib} GiB, kernel {kernel}. DPDK {dpdk} "
      f"(Debian), g++ {gxx}, bootstorm {rev}. Dataplane worker on lcore {worker_lcore}, the bench "
      f"on lcore {bench_lcore} (shared with the dataplane's service thread); memif ring "
      f"2^{rsize}, hugepages on both sides; the clients' timeout {timeout_ms} ms; the bench "
      f"verifies the UDP checksum of one frame in {csum_every} and every byte of content.\n")
print("```")
print(script_cmd)
print(bench_cmd)
print("```\n")
print("| | |\n|---|---|")
print(f"| transfers: completed / failed / unfinished | {b['completed']:,} / {b['failed']:,} / "
      f"{b['unfinished']:,} (failures: {fails}) |")
print(f"| makespan (first RRQ to last transfer done) | {mk:.2f} s |")
print(f"| goodput (verified bytes of completed transfers) | {b['goodput_gbit_s']:.2f} Gbit/s "
      f"({b['goodput_mib_s']:.0f} MiB/s) |")
print(f"| DATA frames received by the bench | {b['data_frames']:,} ({b['data_mpps']:.3f} Mpps) |")
print(f"| DATA frames sent by the dataplane (incl. retransmissions) | {fmt(frames)} "
      f"({fmt(mpps, '{:.3f}')} Mpps over the makespan) |")
print(f"| **cycles per DATA frame** (worker busy TSC cycles / DATA frames) | "
      f"**{fmt(cpf, '{:.0f}')}** (TSC {hz / 1e9:.2f} GHz) |")
print(f"| worker busy during the makespan | {fmt(worker_busy, '{:.0f}')}% |")
print(f"| worker thread CPU time while the bench ran / per DATA frame in TSC cycles | "
      f"{fmt(cpu_s, '{:.2f}')} s of {bench_s} s ({fmt(on_cpu, '{:.0f}')}% on a CPU) / "
      f"{fmt(cpu_cpf, '{:.0f}')} |")
print(f"| dataplane retransmissions (OACK + DATA) | {fmt(retx)} |")
print(f"| latency per transfer p50 / p99 / max | {lat['p50']:.0f} / {lat['p99']:.0f} / "
      f"{lat['max']:.0f} ms |")
print(f"| ACKs sent / retransmitted (timeout, gap, duplicate) | {a['sent']:,} / "
      f"{a['retransmitted']:,} ({a['timeout']:,}, {a['gap']:,}, {a['duplicate']:,}) |")
print(f"| DATA duplicates / out of order at the bench | {b['data']['duplicates']:,} / "
      f"{b['data']['out_of_order']:,} |")
print(f"| bench lcore busy | {b['bench']['busy_pct']:.0f}% of {b['bench']['elapsed_s']:.1f} s |")
print(f"| wall time of the bench | {bench_s} s |")
print()
print(f"Goal: under 250 cycles per DATA frame: {'met' if goal_cpf else 'not met' if cpf else 'n/a'}; "
      f"at least 1.5 Mpps of {blksize}-byte DATA from one worker: "
      f"{'met' if goal_mpps else 'not met' if mpps else 'n/a'}.")
PY
say "results: $results (raw: $outdir/)"
exit "$bench_rc"
