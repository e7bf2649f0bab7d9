#!/usr/bin/env bash
# Multicast TFTP against unicast over net_memif: many clients read the same file from the
# dataplane, first unicast (each its own copy), then with RFC 2090 multicast (one stream for the
# group, the master's ACKs pace it), then ONE client alone unicast, the yardstick. Counts every
# byte on the wire (the bench's Ethernet frames, received and sent) and the dataplane's
# multicast counters. Prints a markdown section for docs/BENCHMARKS.md (also kept in
# lab/bench/tftp-multicast.<prefix>.<stamp>.md).
#
# Goals: multicast makespan <= 2 x one client's unicast time; multicast bytes on the wire <=
# 1.5 x one copy of the file.
#
# Usage: sudo bench/tftp-multicast.sh
# Environment (defaults):
#   BS_BUILD_DIR=build           bootstorm-dataplane, bootstorm-control and bootstorm-ctl
#   BS_TQ_BENCH=$BS_BUILD_DIR/bench/bootstorm-bench   the bench binary
#   BS_TQ_CLIENTS=200            clients of the unicast and the multicast run (all at once)
#   BS_TQ_FILE_MIB=32            size of the file read (random bytes; every byte is checked)
#   BS_TQ_BLKSIZE=1468           blksize the clients ask for
#   BS_TQ_WINDOWSIZE=64          windowsize the clients ask for
#   BS_TQ_TIMEOUT_MS=2000        the clients' re-ACK timeout
#   BS_TQ_RSIZE=12               log2 of the memif ring size (the client side chooses; max 14)
#   BS_TQ_BENCH_LCORE=0          the bench's lcore; the dataplane's worker is the second of
#                                [server] lcores (default "0,1": CPU 1)
#   BS_TQ_HUGEPAGES=512          2 MiB pages reserved for both processes (given back at exit)
#   BS_TQ_MAX_SECONDS=600        each bench run stops (and reports) after this long
#   BS_TQ_CSUM_EVERY=8           the bench verifies the UDP checksum of one frame in N
#   BS_TQ_RUNS="unicast multicast single"   which runs, in this order; also "mtftp": the same
#                                clients with PXE MTFTP (--mtftp) reading a second file of
#                                BS_TQ_MTFTP_MIB MiB (listed in [multicast] mtftp_files: its group
#                                239.255.77.1:1760, the server's MTFTP port 1759)
#   BS_TQ_MTFTP_MIB=16           size of the MTFTP file (512-byte blocks: under 32 MiB)
#   BS_TQ_REPEAT=1               the multicast and single runs this many times each (a shared
#                                machine's noise): the ratios use each one's fastest, the table
#                                shows every run
#   BS_TQ_MCAST_SECTION=1        append a [multicast] section (the defaults, spelled out) to
#                                the config; 0: leave the config as the lab has it
#   BS_TQ_BENCH_ARGS=            more bootstorm-bench options (every run)
#   BS_TQ_MCAST_ARGS=            more bootstorm-bench options for the multicast run only (e.g.
#                                --trace FILE: every packet of it, group DATA included)
#   BS_LAB_PREFIX=tq             names: namespace tq-srv, exception tap tq0, /run/bs-tq
#
# Topology as bench/tftp-memif.sh: the dataplane in namespace <prefix>-srv, its [server] port
# net_memif0 in the server role on /run/bs-<prefix>/memif.sock, 10.77.0.1/16; the bench outside
# any namespace as the memif client with its own EAL file prefix, one process per run (each run
# from its own client addresses, so no transfer ID of one run is seen again in the next). A first
# unreported run (one client) puts the file in the dataplane's cache.
set -euo pipefail
export BS_LAB_PREFIX=${BS_LAB_PREFIX:-tq}
# shellcheck source=../tools/lab/lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tools/lab/lib.sh"
bs_require_root

clients=${BS_TQ_CLIENTS:-200}
mib=${BS_TQ_FILE_MIB:-32}
blksize=${BS_TQ_BLKSIZE:-1468}
windowsize=${BS_TQ_WINDOWSIZE:-64}
timeout_ms=${BS_TQ_TIMEOUT_MS:-2000}
rsize=${BS_TQ_RSIZE:-12}
bench_lcore=${BS_TQ_BENCH_LCORE:-0}
hugepages=${BS_TQ_HUGEPAGES:-512}
max_seconds=${BS_TQ_MAX_SECONDS:-600}
csum_every=${BS_TQ_CSUM_EVERY:-8}
runs=${BS_TQ_RUNS:-unicast multicast single}
mtftp_mib=${BS_TQ_MTFTP_MIB:-16}
repeat=${BS_TQ_REPEAT:-1}
mcast_section=${BS_TQ_MCAST_SECTION:-1}
read -r -a bench_extra <<<"${BS_TQ_BENCH_ARGS:-}"
read -r -a mcast_extra <<<"${BS_TQ_MCAST_ARGS:-}"

p=$BS_LAB_PREFIX
stamp=$(date +%Y%m%d-%H%M%S)
outdir=$BS_LAB_DIR/bench/tftp-multicast.$p.$stamp
results=$outdir.md
sock_dir=/run/bs-$p
sock=$sock_dir/memif.sock
root=$BS_LAB_DIR/tftp.$p
file=bench-${mib}m.bin
mtftp_file=bench-mtftp-${mtftp_mib}m.bin
dp_prefix=bootstorm-$p-memif
bench_prefix=bs-bench-$p
work=$(mktemp -d /tmp/bs-tftp-multicast.XXXXXX)
dataplane=$BS_BUILD_DIR/dataplane/bootstorm-dataplane
bench=${BS_TQ_BENCH:-$BS_BUILD_DIR/bench/bootstorm-bench}
for b in "$dataplane" "$BS_BUILD_DIR/control/bootstorm-control" "$BS_BUILD_DIR/tools/bootstorm-ctl" "$bench"; do
    [[ -x $b ]] || bs_die "$b not built"
done
say() { printf '[tftp-multicast] %s\n' "$*" >&2; }

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
    # EAL's hugepage files, by our own prefixes only (see bench/tftp-memif.sh).
    rm -f /dev/hugepages/"$dp_prefix"map_* /dev/hugepages/"$bench_prefix"map_*
    if [[ -n $hp_set && $(cat "$hp_sys") == "$hp_set" ]]; then echo "$hp_prev" >"$hp_sys"; fi
    [[ -n $hp_mounted ]] && umount /dev/hugepages
}
trap cleanup EXIT

# --- hugepages ----------------------------------------------------------------------------
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
head -c $((mib << 20)) /dev/urandom >"$root/.$file"
mv "$root/.$file" "$root/$file"
if [[ " $runs " == *" mtftp "* ]]; then
    head -c $((mtftp_mib << 20)) /dev/urandom >"$root/.$mtftp_file"
    mv "$root/.$mtftp_file" "$root/$mtftp_file"
fi
bs_config_variant "$work/bootstorm.toml" \
    "s|^(port[[:space:]]*=[[:space:]]*)\"[^\"]*\"|\1\"net_memif0,role=server,id=0,socket=$sock,socket-abstract=no\"|" \
    "s|^(hugepages[[:space:]]*=[[:space:]]*)false|\1true|" \
    "s|^(file_prefix[[:space:]]*=[[:space:]]*)\"[^\"]*\"|\1\"$dp_prefix\"|" \
    "s|^(address[[:space:]]*=[[:space:]]*\"$BS_SERVER_IP)/24\"|\1/16\"|" \
    "s|^(subnet[[:space:]]*=[[:space:]]*\"10\.77\.0\.0)/24\"|\1/16\"|" \
    "s|^(root[[:space:]]*=[[:space:]]*)\"[^\"]*\"|\1\"$root\"|"
if [[ $mcast_section == 1 ]] && ! grep -q '^\[multicast\]' "$work/bootstorm.toml"; then
    cat >>"$work/bootstorm.toml" <<'EOF'

[multicast]
enabled = true
addresses = ["239.255.77.1", "239.255.77.254"]
ports = [1760, 1799]
ttl = 1
igmp = "none"
mtftp_port = 1759
mtftp_files = []
mtftp_listen = 1
mtftp_delay = 1
EOF
fi
if [[ " $runs " == *" mtftp "* ]]; then
    grep -q '^\[multicast\]' "$work/bootstorm.toml" || printf '\n[multicast]\n' >>"$work/bootstorm.toml"
    if grep -q '^mtftp_files' "$work/bootstorm.toml"; then
        sed -i -E "s|^mtftp_files[[:space:]]*=.*|mtftp_files = [\"$mtftp_file\"]|" "$work/bootstorm.toml"
    else
        sed -i -E "s|^\[multicast\]$|[multicast]\nmtftp_files = [\"$mtftp_file\"]|" "$work/bootstorm.toml"
    fi
fi
cp "$work/bootstorm.toml" "$outdir/bootstorm.toml"
lcores=$(sed -nE 's/^lcores[[:space:]]*=[[:space:]]*"([^"]*)".*/\1/p' "$work/bootstorm.toml")
lcores=${lcores:-0,1}
say "appliance in $BS_NS_SRV on $sock (log $outdir/appliance.log)"
bs_appliance_start "$outdir/appliance.log" "" "$work/bootstorm.toml"
bs_appliance_wait_ready 90 || { tail -20 "$outdir/appliance.log" >&2; bs_die "the appliance did not come up"; }

# The TFTP counters that move during a run, to tell when they settled.
status_tftp() {
    local k
    for k in tftp_done tftp_failed tftp_data_bytes tftp_mcast_data_bytes tftp_mcast_repair_bytes; do
        bs_status_get "$1" "dataplane.stats.counters.$k"
    done
}
# settle FILE: /status into FILE once the dataplane's counters stopped moving (it reports them
# every second: two reports 1.5 s apart agree).
settle() {
    local prev cur i
    prev=$(status_tftp "$(bs_appliance_status || true)")
    for ((i = 0; i < 30; i++)); do
        sleep 1.5
        bs_appliance_status >"$1" || continue
        cur=$(status_tftp "$(cat "$1")")
        [[ $cur == "$prev" ]] && break
        prev=$cur
    done
}
# The counters before the first run: once the dataplane has sent its first report.
for ((i = 0; i < 20; i++)); do
    bs_appliance_status >"$outdir/status-0.json" || true
    python3 -c 'import json, sys; sys.exit("stats" not in json.load(open(sys.argv[1])).get("dataplane", {}))' \
        "$outdir/status-0.json" 2>/dev/null && break
    sleep 0.5
done

# --- the runs -----------------------------------------------------------------------------
# run NAME N NET [bench options]: one bench process, N clients at once from NET; its report in
# NAME.json / NAME.txt, the dataplane's counters before and after in status-NAME-{0,1}.json.
bench_cmds=()
last_status=$outdir/status-0.json
run() {
    local name=$1 n=$2 net=$3 rc=0 f=$file
    shift 3
    [[ $name == mtftp ]] && f=$mtftp_file
    local cmd=("$bench" tftp
        --dpdk "net_memif0,role=client,id=0,socket=$sock,socket-abstract=no,rsize=$rsize${BS_TQ_MEMIF_ARGS:+,$BS_TQ_MEMIF_ARGS}"
        --lcore "$bench_lcore" --file-prefix "$bench_prefix"
        --server "$BS_SERVER_IP" --file "$f" --local-copy "$root/$f"
        --clients "$n" --concurrency "$n" --client-net "$net"
        --blksize "$blksize" --windowsize "$windowsize" --timeout-ms "$timeout_ms"
        --udp-checksum-every "$csum_every" --max-seconds "$max_seconds"
        --json "$outdir/$name.json" "$@" "${bench_extra[@]}")
    say "$name: ${cmd[*]}"
    bench_cmds+=("${cmd[*]}")
    cp "$last_status" "$outdir/status-$name-0.json"
    "${cmd[@]}" >"$outdir/$name.txt" &
    bench_pid=$!
    wait "$bench_pid" || rc=$?
    bench_pid=
    cat "$outdir/$name.txt" >&2
    [[ -s $outdir/$name.json ]] || bs_die "$name: the bench wrote no report (exit $rc)"
    ((rc == 0)) || say "$name: the bench exited $rc (not every client completed)"
    settle "$outdir/status-$name-1.json"
    last_status=$outdir/status-$name-1.json
    # The EAL's hugepage files of this bench process, before the next one.
    rm -f /dev/hugepages/"$bench_prefix"map_*
    return 0
}
# One client reads the file first, unreported: the dataplane loads it into its cache on the
# first request, which would otherwise count in whichever run comes first.
run warmup 1 10.77.96.0/19
for r in $runs; do
    case $r in
        unicast) run unicast "$clients" 10.77.128.0/18 ;;
        multicast)
            for ((i = 1; i <= repeat; i++)); do
                n=multicast
                ((i == 1)) || n=multicast-$i
                run "$n" "$clients" 10.77.192.0/18 --multicast "${mcast_extra[@]}"
            done
            ;;
        single)
            for ((i = 1; i <= repeat; i++)); do
                n=single
                ((i == 1)) || n=single-$i
                run "$n" 1 10.77.64.0/18
            done
            ;;
        mtftp) run mtftp "$clients" 10.77.32.0/19 --mtftp ;;
        *) bs_die "BS_TQ_RUNS: unknown run '$r' (unicast, multicast, single, mtftp)" ;;
    esac
done

# --- the report ---------------------------------------------------------------------------
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
virt=$(systemd-detect-virt 2>/dev/null || true)
mem_gib=$(awk '/^MemTotal:/ { printf "%.0f", $2 / 1048576 }' /proc/meminfo)
dpdk_ver=$(pkg-config --modversion libdpdk 2>/dev/null || echo '?')
rev=$(git -C "$BS_REPO" describe --always --dirty 2>/dev/null || echo '?')
printf '%s\n' "${bench_cmds[@]}" >"$outdir/bench-cmds.txt"

python3 - "$outdir" "$clients" "$mib" "$blksize" "$windowsize" "$timeout_ms" "$rsize" "$cpu" \
    "$(nproc)" "${virt:-none}" "$(uname -r)" "$mem_gib" "$dpdk_ver" "$rev" "$root/$file" \
    "sudo BS_BUILD_DIR=$BS_BUILD_DIR BS_TQ_BENCH=$bench BS_TQ_CLIENTS=$clients BS_TQ_FILE_MIB=$mib BS_TQ_WINDOWSIZE=$windowsize BS_TQ_TIMEOUT_MS=$timeout_ms bench/tftp-multicast.sh" <<'PY' | tee "$results"
import json, os, sys, datetime
(outdir, clients, mib, blksize, windowsize, timeout_ms, rsize, cpu, ncpu, virt, kernel, mem_gib,
 dpdk, rev, path, script_cmd) = sys.argv[1:]
size = os.path.getsize(path)
def load(name):
    try:
        return json.load(open(f"{outdir}/{name}"))
    except (OSError, ValueError):
        return None
def counters(name):
    j = load(name) or {}
    return j.get("dataplane", {}).get("stats", {}).get("counters", {})
def delta(run, k):
    c0, c1 = counters(f"status-{run}-0.json"), counters(f"status-{run}-1.json")
    return c1[k] - c0[k] if k in c0 and k in c1 else None
def fmt(v, spec="{:,}"):
    return "n/a" if v is None else spec.format(v)
names = ["unicast", "multicast", "single", "mtftp"]
names += [f"{r}-{i}" for r in ("multicast", "single") for i in range(2, 100)]
runs = [(r, load(f"{r}.json")) for r in names]
runs = [(r, b) for r, b in runs if b]
print(f"### TFTP multicast (RFC 2090) against unicast over net_memif: {clients} clients, "
      f"{mib} MiB, blksize {blksize}, windowsize {windowsize} ({datetime.date.today()})\n")
print(f"Machine: {cpu}, {ncpu} CPUs ({virt}), {mem_gib} GiB, kernel {kernel}. DPDK {dpdk}, "
      f"bootstorm {rev}. memif ring 2^{rsize}; the clients' timeout {timeout_ms} ms; every byte "
      f"of content is checked. Bytes on the wire: every Ethernet frame the bench received and "
      f"sent (headers included, no FCS/preamble).\n")
print("```")
print(script_cmd)
for line in open(f"{outdir}/bench-cmds.txt"):
    print(line.rstrip())
print("```\n")
print("| run | clients: completed / failed / unfinished | makespan | wire bytes rx + tx | "
      "/ one copy of the file | server DATA bytes (unicast / multicast / multicast repair) |")
print("|---|---|---|---|---|---|")
res = {}
for r, b in runs:
    wire = b.get("wire_bytes_rx", 0) + b.get("wire_bytes_tx", 0)
    res[r] = (b, wire)
    fsize = b["config"]["file_bytes"]
    fails = ", ".join(f"{k} {v}" for k, v in b["fail_reasons"].items())
    print(f"| {r} ({b.get('mode', '?')}) | {b['transfers']}: {b['completed']} / {b['failed']} / "
          f"{b['unfinished']}{' (' + fails + ')' if fails else ''} | {b['makespan_s']:.2f} s | "
          f"{wire:,} | {wire / fsize:.2f} | {fmt(delta(r, 'tftp_data_bytes'))} / "
          f"{fmt(delta(r, 'tftp_mcast_data_bytes'))} / {fmt(delta(r, 'tftp_mcast_repair_bytes'))} |")
print()
if "multicast" in res:
    b = res["multicast"][0]
    m = b.get("multicast", {})
    a = b["acks"]
    print(f"Multicast run: group DATA frames {m.get('group_frames', 0):,} (handed to members "
          f"{m.get('group_deliveries', 0):,}); masters {m.get('masters', 0)}, promotions seen "
          f"{b.get('promotions_seen', 0)}, demotions {m.get('demotions', 0)}; repair ACKs "
          f"{b.get('repair_acks', 0)}; done as master {m.get('done_as_master', 0)}, as listener "
          f"{m.get('done_as_listener', 0)}; answered unicast {m.get('answered_unicast', 0)}; "
          f"ACKs sent {a['sent']:,} (timeout {a['timeout']}, gap {a['gap']}); RRQs re-sent "
          f"{b['rrq_resent']}; latency p50 / max {b['latency_ms']['p50']:.0f} / "
          f"{b['latency_ms']['max']:.0f} ms. Server: tftp_mcast_data_bytes "
          f"{fmt(delta('multicast', 'tftp_mcast_data_bytes'))}, tftp_mcast_repair_bytes "
          f"{fmt(delta('multicast', 'tftp_mcast_repair_bytes'))}.\n")
if "mtftp" in res:
    b = res["mtftp"][0]
    m = b.get("multicast", {})
    print(f"MTFTP run ({b['config']['file_bytes']:,} bytes, 512-byte blocks): opens "
          f"{m.get('opens', 0)}, back to listening {m.get('back_to_listen', 0)}, done as the "
          f"opener {m.get('done_as_master', 0)}, as a listener {m.get('done_as_listener', 0)}; "
          f"ACKs {b['acks']['sent']:,}; latency p50 / max {b['latency_ms']['p50']:.0f} / "
          f"{b['latency_ms']['max']:.0f} ms (the clients listen "
          f"{b['config']['mtftp_listen_ms']} ms first).\n")
def fastest(kind):
    got = [(b["makespan_s"], r) for r, (b, _) in res.items()
           if (r == kind or r.startswith(kind + "-")) and b["completed"] == b["transfers"]]
    return res[min(got)[1]] if got else res[kind]
if "multicast" in res and "single" in res:
    mb, mwire = fastest("multicast")
    sb, _ = fastest("single")
    reps = sum(1 for r in res if r == "single" or r.startswith("single-"))
    if reps > 1:
        print(f"Ratios from the fastest of {reps} multicast and {reps} single runs.\n")
    t = mb["makespan_s"] / sb["makespan_s"] if sb["makespan_s"] > 0 else None
    w = mwire / size
    complete = mb["completed"] == mb["transfers"]
    print("| ratio | value | goal | |\n|---|---|---|---|")
    print(f"| multicast makespan / one client's unicast time | {fmt(t, '{:.2f}')} "
          f"({mb['makespan_s']:.2f} s / {sb['makespan_s']:.2f} s) | <= 2 | "
          f"{'met' if t is not None and t <= 2 and complete else 'not met'} |")
    print(f"| multicast bytes on the wire / one copy of the file | {w:.2f} "
          f"({mwire:,} / {size:,}) | <= 1.5 | {'met' if w <= 1.5 and complete else 'not met'} |")
    if "unicast" in res:
        ub, uwire = res["unicast"]
        print(f"| unicast ({clients} clients) makespan / multicast makespan | "
              f"{ub['makespan_s'] / mb['makespan_s']:.1f} | | |")
        print(f"| unicast ({clients} clients) bytes on the wire / multicast | "
              f"{uwire / mwire:.1f} | | |")
    if not complete:
        print("\nNot every multicast client completed: the goals count as not met.")
PY
say "results: $results (raw: $outdir/)"
# Exit 0 only when every client of every run (the warm-up's included) completed.
ok=0
for j in "$outdir"/*.json; do
    [[ $j == */status-* ]] && continue
    python3 -c 'import json, sys; b = json.load(open(sys.argv[1])); sys.exit(b["completed"] != b["transfers"])' \
        "$j" || ok=1
done
exit "$ok"
