#!/usr/bin/env bash
# Integration: multicast TFTP with real clients. RFC 2090 (atftp's `--option multicast`) and
# PXE MTFTP (atftp's `--mget`), every client in its own namespace on the lab bridge (atftp's
# multicast clients bind the group port exclusively: one per namespace), and the bench's MTFTP
# client over DPDK. Every file read is compared byte for byte with cmp; every client is one case.
#
# Cases:
#   (a) BS_MCAST_CLIENTS (20) atftp clients, `--option multicast --option "blksize 1428"`,
#       released at once (they wait on a shared flock the test holds), read the same
#       BS_MCAST_MIB (32) MiB random file; then the server's counters (a difference around the
#       run): DATA payload sent (tftp_data_bytes) at most 1.3x the file (one multicast copy plus
#       repairs for members that joined a moment late), at least one file's worth of it sent to
#       a group (tftp_mcast_data_bytes: it really was multicast), no failed group member.
#   (b) the same with 1% random UDP loss in both directions on BS_MCAST_LOSSY (5) of the
#       members' links (nftables netdev ingress + egress chains inside their namespaces, as in
#       tftp_matrix.sh; this kernel has no netem): every client still byte-identical; the repair
#       traffic is printed, and the DATA payload must stay within 2x the file per transmission
#       (a member whose join was lost rejoins 5 s later, maybe after the group ended: it then
#       rightly gets a transmission of its own). Why 2x: each lossy
#       member misses about 1% of the blocks (and loses about 1% of its ACKs), so the blocks
#       somebody misses are about 5% of the file, plus what the lossy members missed by joining
#       late (below); a server that repairs them on the group (once per block, or a few times when
#       a repair or an ACK is lost again) stays near 1.1-1.3x, while one that fell back to unicast
#       for the lossy members would send 1 + 5 = 6x. The lossy members start BS_MCAST_LOSSY_LAG_S
#       (0.2) s after the others, so that the first master client is a lossless one: atftp 0.8's
#       master re-ACKs only after 5 s and atftpd resends after 1 s at the least, so a lossy master
#       for a whole 32 MiB costs atftpd some 470 s (docs/LAB.md); the lossy members still become
#       masters later, for the blocks they missed.
#   (c) PXE MTFTP: BS_MCAST_MTFTP_CLIENTS (5) `atftp --mget` clients (listen-delay 1,
#       timeout-delay 1) started at once, plus one started late, once the first client holds a
#       third of the file (and a case that it did start before any early client ended). File:
#       BS_MCAST_MTFTP_MIB (8) MiB (MTFTP uses 512-byte blocks; block numbers stay below 65536).
#   (d) the bench's MTFTP client: bootstorm-bench tftp --mtftp, 4 clients, over DPDK
#       net_af_packet on the veth of namespace <prefix>-bnch on the lab bridge (no address there, an
#       ingress drop keeps its kernel off); only if `bootstorm-bench tftp --help` lists --mtftp
#       (else a TAP skip). Its exit status and its report (completed = clients, none failed).
#
# The server: bootstorm with the lab config plus a [multicast] section (groups
# 239.255.77.1-254, ports 1760-1799, PXE MTFTP on port 1759 for the (c) file as its first
# entry: group 239.255.77.1, client port 1760). With BS_MCAST_SERVER=atftpd the same client
# cases run against atftpd 0.8 instead (unpacked with bs_unpacked, never installed; on the
# server's veth through the kernel, the lab's keep-off table deleted, as bench/tftp-peers.sh
# does; `--retry-timeout 1`, the lab config's first retransmission), and the counter cases are
# skipped: a check that the test is fair to a server that implements RFC 2090 and MTFTP.
#
# Time: every client runs under `timeout -k 5` (atftp may hang after "tftp: aborting"), with a
# limit per phase (BS_MCAST_TIMEOUT_S, 45 s; twice that with loss), so a stalled server fails
# the test in about 5 minutes at worst (meson's timeout: 360 s). Here the whole test took 42-97 s
# against bootstorm and 56-112 s against atftpd.
#
# Environment: BS_MCAST_SERVER (bootstorm | atftpd), BS_MCAST_CLIENTS (20), BS_MCAST_LOSSY (5),
# BS_MCAST_LOSS_PCT (1), BS_MCAST_LOSSY_LAG_S (0.2), BS_MCAST_MIB (32), BS_MCAST_MTFTP_CLIENTS
# (5), BS_MCAST_MTFTP_MIB (8), BS_MCAST_TIMEOUT_S (45), BS_MCAST_CASES ("a b c d": the cases to
# run), BS_MCAST_TRACE (0; 1: atftp --trace, its last lines go into a failure's diagnostics),
# BS_MCAST_KEEP (0; 1: keep a copy of the work directory, clients' output and files),
# BS_MCAST_PCAP (0; 1: capture how MTFTP transfers start in (c) and print it).
#
# Usage: tftp_multicast.sh BUILD_DIR SOURCE_DIR     (root; BS_LAB_PREFIX picks the lab)
set -euo pipefail
# shellcheck source=tools/lab/tap.sh
source "$(cd "${2:?source dir}" && pwd)/tools/lab/tap.sh"
bs_test_begin "$@"

server=${BS_MCAST_SERVER:-bootstorm}
case $server in bootstorm | atftpd) ;; *) tap_bail "BS_MCAST_SERVER: bootstorm or atftpd (got '$server')" ;; esac
nclients=${BS_MCAST_CLIENTS:-20}
nlossy=${BS_MCAST_LOSSY:-5}
loss_pct=${BS_MCAST_LOSS_PCT:-1}
mib=${BS_MCAST_MIB:-32}
nmtftp=${BS_MCAST_MTFTP_CLIENTS:-5}
mtftp_mib=${BS_MCAST_MTFTP_MIB:-8}
tmo_base=${BS_MCAST_TIMEOUT_S:-45}
tmo=$tmo_base
lag=${BS_MCAST_LOSSY_LAG_S:-0.2}
cases=${BS_MCAST_CASES:-a b c d}
trace=${BS_MCAST_TRACE:-0}
((nclients >= 2 && nclients <= 40)) || tap_bail "BS_MCAST_CLIENTS: 2 to 40 (got '$nclients')"
((nlossy <= nclients)) || tap_bail "BS_MCAST_LOSSY: at most BS_MCAST_CLIENTS"
((nmtftp + 1 <= nclients)) || tap_bail "BS_MCAST_MTFTP_CLIENTS: below BS_MCAST_CLIENTS"
((mtftp_mib <= 16)) || tap_bail "BS_MCAST_MTFTP_MIB: at most 16 (512-byte blocks, block numbers below 65536)"

work=$BS_TEST_WORK
srv=$BS_SERVER_IP
root=$BS_TFTP_ROOT
blksize=1428
group0=239.255.77.1       # the first group address: MTFTP's first file's group
port0=1760                # the first group port: MTFTP's first file's client port
mtftp_port=1759           # PXE MTFTP's server port
loss_table=bsloss
test_start=$(date +%s)

now() { date +%s.%N; }
elapsed() { awk -v s="$1" -v e="${2:-$(now)}" 'BEGIN { printf "%.2f", e - s }'; }

# Cleanup: the server (atftpd), the client namespaces, the files; then the lab's own.
made=()
nss=()
server_pid=
bench_ns=
cap_pid=
mcast_cleanup() {
    local rc=$? f ns
    # errexit off: a failing command here must not end the handler before bs_test_cleanup
    set +e
    [[ -z $cap_pid ]] || kill "$cap_pid" 2>/dev/null
    if [[ -n $server_pid ]]; then
        kill -TERM -- "-$server_pid" 2>/dev/null
        wait "$server_pid" 2>/dev/null
        kill -KILL -- "-$server_pid" 2>/dev/null
    fi
    for ns in "${nss[@]}" $bench_ns; do bs_ns_del "$ns"; done
    for f in "${made[@]}"; do rm -f "$f" "$f.tmp"; done
    if [[ ${BS_MCAST_KEEP:-0} == 1 ]]; then
        cp -a "$work" "$work.kept" && echo "# kept the work directory in $work.kept" >&2
    fi
    (exit "$rc")
    bs_test_cleanup
}
trap mcast_cleanup EXIT

# --- files -------------------------------------------------------------------------------
# The lab's TFTP root is shared by every lab prefix: names carry ours. Written, then renamed
# (a server may serve a file as soon as it appears).
fname() { echo "bs-mcast.$BS_LAB_PREFIX.$1.bin"; }
make_file() {  # LABEL BYTES
    local f
    f=$root/$(fname "$1")
    head -c "$2" /dev/urandom >"$f.tmp"
    made+=("$f")
    mv "$f.tmp" "$f"
}
make_file rfc2090 $((mib << 20))
make_file mtftp $((mtftp_mib << 20))
file=$(fname rfc2090)
mfile=$(fname mtftp)

# --- client namespaces -----------------------------------------------------------------------
# <prefix>-m0 .. -m<N-1> at 10.77.0.20 and up, each a port of the lab bridge. A multicast
# route: atftp joins its group with INADDR_ANY as the interface, which the kernel resolves by a
# route to the group (none: "No such device").
for ((k = 0; k < nclients; k++)); do
    bs_peer_add "m$k" "10.77.0.$((20 + k))/24"
    ip -n "$BS_PEER_NS" route add 224.0.0.0/4 dev "$BS_PEER_IF"
    nss+=("$BS_PEER_NS")
done

loss_off() {  # NS
    ip netns exec "$1" nft delete table netdev "$loss_table" 2>/dev/null || true
}
loss_on() {  # NS: UDP only (ARP and IGMP are never lost)
    loss_off "$1"
    ip netns exec "$1" nft -f - <<NFT
table netdev $loss_table {
    chain in {
        type filter hook ingress device "$1" priority 0; policy accept;
        ip protocol udp counter numgen random mod 100 < $loss_pct counter drop
    }
    chain out {
        type filter hook egress device "$1" priority 0; policy accept;
        ip protocol udp counter numgen random mod 100 < $loss_pct counter drop
    }
}
NFT
}


# --- the server ------------------------------------------------------------------------------
if [[ $server == bootstorm ]]; then
    bs_config_variant "$work/mcast.toml" \
        "\$a\\
\\
[multicast]\\
enabled = true\\
addresses = [\"$group0\", \"239.255.77.254\"]\\
ports = [$port0, 1799]\\
ttl = 1\\
igmp = \"none\"\\
mtftp_port = $mtftp_port\\
mtftp_files = [\"$mfile\"]\\
mtftp_listen = 1\\
mtftp_delay = 1"
    bs_test_appliance_up "$work/mcast.toml"
else
    atftpd=$(bs_unpacked atftpd /usr/sbin/atftpd)
    # The veth to the kernel: no keep-off drop, the appliance's address on the veth itself, a
    # multicast route for the groups.
    ip netns exec "$BS_NS_SRV" nft delete table netdev keepoff 2>/dev/null || true
    ip -n "$BS_NS_SRV" addr replace "$srv/24" dev "$BS_VETH_SRV"
    ip -n "$BS_NS_SRV" route replace 224.0.0.0/4 dev "$BS_VETH_SRV"
    printf '%s %s %s\n' "$mfile" "$group0" "$port0" >"$work/mtftp.conf"
    setsid ip netns exec "$BS_NS_SRV" "$atftpd" --daemon --no-fork --logfile - \
        --user root --group root --bind-address "$srv" --port 69 -m 200 --retry-timeout 1 \
        --mcast-addr 239.255.77.1-254 --mcast-port 1760-1799 --mcast-ttl 1 \
        --mtftp "$work/mtftp.conf" --mtftp-port "$mtftp_port" --verbose=5 \
        "$root" </dev/null >>"$work/atftpd.out" 2>&1 &
    server_pid=$!
    up=0
    for ((i = 0; i < 50; i++)); do
        if ip netns exec "$BS_NS_SRV" ss -Hlun "sport = :69" | grep -q .; then up=1; break; fi
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.1
    done
    if ((up)); then tap_ok "atftpd $(cat "$BS_CACHE_DIR/debs/atftpd/version") listens at $srv:69"; else
        tap_bail "atftpd did not start" "$(cat "$work/atftpd.out" "$work/atftpd.log" 2>/dev/null | tail -n 20)"
    fi
fi

# --- counters (bootstorm) ------------------------------------------------------------------
MC_NAMES=(tftp_data_bytes tftp_mcast_data_bytes tftp_mcast_repair_bytes tftp_mcast_groups
    tftp_mcast_members tftp_mcast_done tftp_mcast_promotions tftp_mcast_failed)
# counters JSON: "name=value" for MC_NAMES, one line
counters() {
    python3 -c '
import json, sys
c = json.loads(sys.argv[1] or "{}").get("dataplane", {}).get("stats", {}).get("counters", {})
print(" ".join("%s=%s" % (n, c.get(n, 0)) for n in sys.argv[2:]))' "$1" "${MC_NAMES[@]}"
}
# status_settled: /status once the TFTP counters stopped moving (two reports 1.5 s apart agree;
# the dataplane reports every second), and once it has any (the first report after a start has no
# dataplane.stats).
status_settled() {
    local a b i
    a=$(bs_appliance_status || true)
    for ((i = 0; i < 10; i++)); do
        sleep 1.5
        b=$(bs_appliance_status || true)
        if [[ $b == *'"stats"'* && $(counters "$a") == $(counters "$b") ]]; then
            echo "$b"
            return 0
        fi
        a=$b
    done
    echo "$b"
}
# delta BEFORE AFTER NAME: AFTER's NAME minus BEFORE's ("name=value ..." lines from counters)
delta() {
    awk -v n="$3" -v a="$1" -v b="$2" 'BEGIN {
        split(a, x, " "); split(b, y, " ")
        for (i in x) { split(x[i], p, "="); if (p[1] == n) va = p[2] }
        for (i in y) { split(y[i], p, "="); if (p[1] == n) vb = p[2] }
        printf "%d", vb - va }'
}
deltas() {  # BEFORE AFTER: every counter's difference, one line
    local n parts=()
    for n in "${MC_NAMES[@]}"; do parts+=("$n=+$(delta "$1" "$2" "$n")"); done
    echo "${parts[*]}"
}
snapshot() {  # the counters now (settled), or empty for atftpd
    if [[ $server == bootstorm ]]; then counters "$(status_settled)"; fi
}

# --- clients -----------------------------------------------------------------------------------
# Clients wait on a shared flock of a lock file that the test holds exclusively, then all start
# at once when it lets go. launch NAME NS CMD...: in the background; NAME.log gets the client's
# output, NAME.rc "EXIT START END". $lock names the lock file the next launch waits on.
lock=$work/go.lock
pids=()
launch() {
    local name=$1 ns=$2 l=$lock
    shift 2
    (
        rc=0
        flock -s "$l" true
        s=$(now)
        ip netns exec "$ns" timeout -k 5 "$tmo" "$@" >"$work/$name.log" 2>&1 || rc=$?
        echo "$rc $s $(now)" >"$work/$name.rc"
    ) &
    pids+=($!)
}
hold() { exec 9>"$work/go.lock" 8>"$work/go2.lock"; flock -x 9; flock -x 8; }
# release [SECONDS [LAG]]: after SECONDS (the clients reach their flock), go.lock; LAG later, go2.lock
release() { sleep "${1:-0.5}"; flock -u 9; sleep "${2:-0}"; flock -u 8; exec 9>&- 8>&-; }
wait_all() { local p; for p in "${pids[@]}"; do wait "$p" || true; done; pids=(); }

trace_opt=()
((trace == 0)) || trace_opt=(--trace)
atftp_mcast() {  # NAME NS: an RFC 2090 client
    launch "$1" "$2" atftp "${trace_opt[@]}" --option "multicast" --option "blksize $blksize" \
        -g -r "$file" -l "$work/$1.out" "$srv"
}
atftp_mtftp() {  # NAME NS
    launch "$1" "$2" atftp "${trace_opt[@]}" --mget -r "$mfile" -l "$work/$1.out" \
        --mtftp "mcast-ip $group0" --mtftp "client-port $port0" \
        --mtftp "listen-delay 1" --mtftp "timeout-delay 1" "$srv" "$mtftp_port"
}

# check NAME DESC WANT: one case: the client exited 0 and its file is byte-identical.
check() {
    local name=$1 desc=$2 want=$3 rc s e got=$work/$1.out why
    read -r rc s e <"$work/$name.rc" 2>/dev/null || { rc=none s=0 e=0; }
    if [[ $rc == 0 ]] && cmp -s "$want" "$got"; then
        tap_ok "$desc ($(elapsed "$s" "$e")s)"
    else
        why="client exit status $rc"
        [[ $rc != 124 && $rc != 137 ]] || why="client timed out after $(elapsed "$s" "$e")s (exit status $rc)"
        local diag=("$why" "sizes: want $(stat -c %s "$want") got $(stat -c %s "$got" 2>/dev/null || echo none)"
            "cmp: $(cmp "$want" "$got" 2>&1 || true)" "client output without DATA and ACK lines (last 8):"
            "$(grep -v -e 'received .*DATA' -e '^sent ACK' "$work/$name.log" | tail -n 8)")
        ((trace == 0)) || diag+=("client trace (last 12 lines):" "$(tail -n 12 "$work/$name.log")")
        tap_not_ok "$desc" "${diag[@]}"
    fi
}
# makespan NAME...: first start to last end, the slowest client, first to last start
makespan() {
    local n
    for n in "$@"; do cat "$work/$n.rc" 2>/dev/null; done |
        awk '{ if (s == "" || $2 < s) s = $2; if ($2 > l) l = $2; if ($3 > e) e = $3; if ($3 - $2 > m) m = $3 - $2 }
             END { printf "makespan %.2f s, slowest client %.2f s, starts spread over %.3f s", e - s, m, l - s }'
}

# --- (a) RFC 2090, no loss -------------------------------------------------------------------
want() { [[ " $cases " == *" $1 "* ]]; }
size=$(stat -c %s "$root/$file")
# The lossy members are the last $nlossy; in the lossy phase they start $lag s after the others.
first_lossy=$((nclients - nlossy))
is_lossy() { ((${1} >= first_lossy)); }
rfc2090_phase() {  # PHASE LAG
    local phase=$1 k names=() what
    hold
    for ((k = 0; k < nclients; k++)); do
        lock=$work/go.lock
        ! is_lossy "$k" || lock=$work/go2.lock
        atftp_mcast "$phase.$k" "${nss[$k]}"
        names+=("$phase.$k")
    done
    lock=$work/go.lock
    release 1 "$2"
    wait_all
    tap_diag "$phase: $nclients clients: $(makespan "${names[@]}")"
    for ((k = 0; k < nclients; k++)); do
        what=""
        [[ $phase != lossy ]] || ! is_lossy "$k" || what=", ${loss_pct}% loss, started ${2} s later"
        check "$phase.$k" "$phase: atftp multicast client $k (${nss[$k]}$what) reads ${mib} MiB byte-identical" "$root/$file"
    done
}

case_a() {
    before=$(snapshot)
    rfc2090_phase lossless 0
    after=$(snapshot)
    limit_a=$((size * 13 / 10))
    if [[ $server == bootstorm ]]; then
        tap_diag "lossless: counter differences: $(deltas "$before" "$after")"
        d_all=$(delta "$before" "$after" tftp_data_bytes)
        d_mc=$(delta "$before" "$after" tftp_mcast_data_bytes)
        d_fail=$(delta "$before" "$after" tftp_mcast_failed)
        if ((d_mc >= size)); then tap_ok "lossless: at least the file went to a group: tftp_mcast_data_bytes +$d_mc (file $size)"; else
            tap_not_ok "lossless: at least the file went to a group: tftp_mcast_data_bytes +$d_mc (file $size)" "$(deltas "$before" "$after")"
        fi
        if ((d_all > 0 && d_all <= limit_a)); then tap_ok "lossless: DATA payload sent +$d_all <= 1.3 x file ($limit_a)"; else
            tap_not_ok "lossless: DATA payload sent +$d_all <= 1.3 x file ($limit_a)" "$(deltas "$before" "$after")"
        fi
        tap_is "lossless: no failed group member (tftp_mcast_failed)" "+$d_fail" "+0"
    else
        tap_skip "lossless: server counters" "BS_MCAST_SERVER=$server has no /status"
    fi
}

# --- (b) RFC 2090, 1% loss on some members' links ----------------------------------------------
case_b() {
    tmo=$((2 * tmo_base))
    lossy_ok=1
    for ((k = first_lossy; k < nclients; k++)); do
        out=$(loss_on "${nss[$k]}" 2>&1) || { lossy_ok=0; tap_diag "$out"; }
    done
    if ((lossy_ok)); then tap_ok "nftables: ${loss_pct}% UDP loss both ways on $nlossy of $nclients members' links"; else
        tap_bail "cannot install the loss rules"
    fi
    before=$(snapshot)
    rfc2090_phase lossy "$lag"
    tmo=$tmo_base
    after=$(snapshot)
    drops_in=0 drops_out=0
    for ((k = first_lossy; k < nclients; k++)); do
        # per chain, the rule's second counter: the datagrams it dropped
        read -r di do_ < <(ip netns exec "${nss[$k]}" nft list table netdev "$loss_table" 2>/dev/null | awk '
            /chain in/ { ch = "in" } /chain out/ { ch = "out" }
            /counter packets.* drop/ { n = split($0, w, " "); d = 0
                for (i = 1; i <= n; i++) if (w[i] == "packets") d = w[i + 1]
                if (ch == "in") di += d; else do_ += d }
            END { print di + 0, do_ + 0 }')
        drops_in=$((drops_in + di))
        drops_out=$((drops_out + do_))
        loss_off "${nss[$k]}"
    done
    if ((drops_in > 0 && drops_out > 0)); then
        tap_ok "loss rules dropped $drops_in datagrams to and $drops_out from the lossy members"
    else
        tap_not_ok "loss rules dropped datagrams in both directions" "to the members: $drops_in, from them: $drops_out"
    fi
    if [[ $server == bootstorm ]]; then
        tap_diag "lossy: counter differences: $(deltas "$before" "$after")"
        repair=$(delta "$before" "$after" tftp_mcast_repair_bytes)
        tap_diag "lossy: repair traffic: tftp_mcast_repair_bytes +$repair ($(awk -v r="$repair" -v s="$size" \
            'BEGIN { printf "%.3f", r / s }') x the file), promotions +$(delta "$before" "$after" tftp_mcast_promotions)"
        d_all=$(delta "$before" "$after" tftp_data_bytes)
        d_fail=$(delta "$before" "$after" tftp_mcast_failed)
        # A lossy member whose request or first OACK was lost asks again after atftp's 5 s; if
        # the group has ended by then, it rightly gets a transmission of its own: 2x per group.
        d_groups=$(delta "$before" "$after" tftp_mcast_groups)
        ((d_groups <= 1)) || tap_diag "lossy: $d_groups transmissions (a member joined after the group ended)"
        limit_b=$((size * 2 * (d_groups > 1 ? d_groups : 1)))
        if ((d_all > 0 && d_all <= limit_b)); then tap_ok "lossy: DATA payload sent +$d_all <= 2 x file per transmission ($limit_b)"; else
            tap_not_ok "lossy: DATA payload sent +$d_all <= 2 x file per transmission ($limit_b)" "$(deltas "$before" "$after")"
        fi
        tap_is "lossy: no failed group member (tftp_mcast_failed)" "+$d_fail" "+0"
    else
        tap_skip "lossy: server counters" "BS_MCAST_SERVER=$server has no /status"
    fi
}

# BS_MCAST_PCAP=1: capture on the bridge how MTFTP transfers start: the RRQs to the MTFTP port,
# and every DATA and ACK of block 1 (to the opener, to the group), with the time each passed.
pcap_start() {  # NAME
    [[ ${BS_MCAST_PCAP:-0} == 1 ]] || return 0
    cap_file=$work/$1.pcap
    ip netns exec "$BS_NS_CLI" tcpdump -Z root --immediate-mode -n -i "$BS_BRIDGE" -w "$cap_file" \
        "udp and (port $mtftp_port or ((udp[8:2] = 3 or udp[8:2] = 4) and udp[10:2] = 1))" \
        >"$work/$1.tcpdump.log" 2>&1 &
    cap_pid=$!
    sleep 1
}
pcap_stop() {
    [[ -n $cap_pid ]] || return 0
    sleep 0.5
    kill "$cap_pid" 2>/dev/null || true
    wait "$cap_pid" 2>/dev/null || true
    cap_pid=
    tap_diag "capture (BS_MCAST_PCAP): RRQs to port $mtftp_port, DATA and ACK of block 1:" \
        "$(tcpdump -n -tt -r "$cap_file" 2>/dev/null | head -n 40)"
}

# --- (c) PXE MTFTP ------------------------------------------------------------------------------
case_c() {
    msize=$(stat -c %s "$root/$mfile")
    names=()
    pcap_start mtftp
    hold
    for ((k = 0; k < nmtftp; k++)); do
        atftp_mtftp "mtftp.$k" "${nss[$k]}"
        names+=("mtftp.$k")
    done
    release 0.5
    # The late one: once the first client holds a third of the file (atftp writes blocks in place,
    # so the file's size is the highest block it has).
    late_ns=${nss[$nmtftp]}
    deadline=$(awk -v n="$(now)" -v t="$tmo" 'BEGIN { printf "%.3f", n + t / 3 }')
    while awk -v n="$(now)" -v d="$deadline" 'BEGIN { exit !(n < d) }'; do
        got=$(stat -c %s "$work/mtftp.0.out" 2>/dev/null || echo 0)
        ((got < msize / 3)) || break
        [[ ! -e $work/mtftp.0.rc ]] || break
        sleep 0.01
    done
    late_at=$(now)
    late_have=$(stat -c %s "$work/mtftp.0.out" 2>/dev/null || echo 0)
    atftp_mtftp mtftp.late "$late_ns"
    wait_all
    tap_diag "mtftp: $nmtftp clients + 1 late: $(makespan "${names[@]}" mtftp.late)"
    for ((k = 0; k < nmtftp; k++)); do
        check "mtftp.$k" "mtftp: atftp --mget client $k (${nss[$k]}) reads ${mtftp_mib} MiB byte-identical" "$root/$mfile"
    done
    # Mid-transfer: the early clients were still at it when the late one started.
    first_end=$(for n in "${names[@]}"; do awk '{ print $3 }' "$work/$n.rc" 2>/dev/null; done | sort -n | head -n 1)
    if awk -v l="$late_at" -v e="${first_end:-0}" 'BEGIN { exit !(l < e) }'; then
        tap_ok "mtftp: the late client started mid-transfer (the first client had $late_have of $msize bytes)"
    else
        tap_not_ok "mtftp: the late client started mid-transfer" "it started after an early client had finished (the first had $late_have of $msize bytes)"
    fi
    check mtftp.late "mtftp: atftp --mget client started late ($late_ns) reads ${mtftp_mib} MiB byte-identical" "$root/$mfile"
    pcap_stop
}

# --- (d) the bench's MTFTP client over DPDK ---------------------------------------------------
case_d() {
    bench=$BS_BUILD_DIR/bench/bootstorm-bench
    if [[ ! -x $bench ]]; then
        tap_skip "bench: bootstorm-bench --mtftp over DPDK" "$bench not built"
    elif ! "$bench" tftp --help 2>&1 | grep -q -- '--mtftp'; then
        tap_skip "bench: bootstorm-bench --mtftp over DPDK" "bootstorm-bench tftp --help lists no --mtftp"
    else
        # A namespace on the bridge whose veth DPDK drives (net_af_packet); its kernel stack is kept
        # off it (no address, an ingress drop: AF_PACKET sees frames before the hook).
        bs_peer_add bnch 10.77.0.50/24
        bench_ns=$BS_PEER_NS
        ip -n "$bench_ns" addr flush dev "$BS_PEER_IF"
        ip netns exec "$bench_ns" nft -f - <<NFT
table netdev keepoff {
    chain in {
        type filter hook ingress device "$BS_PEER_IF" priority 0; policy accept;
        drop
    }
}
NFT
        pcap_start bench
        # lcore 0: the dataplane's worker busy-polls CPU 1 (the lab config's lcores "0,1"); a bench
        # polling the same CPU shares it by scheduler ticks: about 4 ms per lock-step exchange.
        t0=$(now)
        rc=0
        bench_clients=4
        out=$(ip netns exec "$bench_ns" timeout -k 5 "$tmo" "$bench" tftp \
            --dpdk "net_af_packet0,iface=$BS_PEER_IF" --no-huge --lcore 0 \
            --file-prefix "bs-bench-$BS_LAB_PREFIX-mcast" --server "$srv" \
            --file "$mfile" --local-copy "$root/$mfile" --clients "$bench_clients" --client-net 10.77.0.208/28 \
            --mtftp --mtftp-group "$group0" --mtftp-client-port "$port0" --mtftp-server-port "$mtftp_port" \
            --max-seconds "$((tmo - 5))" --progress 0 --json "$work/bench.json" 2>&1) || rc=$?
        pcap_stop
        # its report: transfers completed (every byte compared with --local-copy) and failed
        report=$(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
print(r.get("completed", 0), r.get("failed", 0), r.get("unfinished", 0), "makespan_s=%s" % r.get("makespan_s"),
      "fail_reasons=%s" % json.dumps(r.get("fail_reasons", {})), "rrq_resent=%s" % r.get("rrq_resent"),
      "promotions_seen=%s" % r.get("promotions_seen"))' "$work/bench.json" 2>/dev/null || echo "0 0 0 (no report)")
        read -r b_done b_failed b_unfinished b_rest <<<"$report"
        if ((rc == 0 && b_done == bench_clients && b_failed == 0)); then
            tap_ok "bench: bootstorm-bench --mtftp, $bench_clients clients over DPDK, every byte checked ($(elapsed "$t0")s)"
        else
            tap_not_ok "bench: bootstorm-bench --mtftp, $bench_clients clients over DPDK, every byte checked" \
                "exit status $rc; completed $b_done, failed $b_failed, unfinished $b_unfinished of $bench_clients; $b_rest" \
                "$(tail -n 20 <<<"$out")"
        fi
        tap_diag "bench: completed $b_done, failed $b_failed, unfinished $b_unfinished; $b_rest"
    fi
}

for c in a b c d; do
    if want "$c"; then "case_$c"; else tap_skip "case ($c)" "not in BS_MCAST_CASES ($cases)"; fi
done

if [[ $server == bootstorm ]]; then
    bs_test_appliance_alive "appliance still running after the multicast cases"
else
    if kill -0 "$server_pid" 2>/dev/null; then tap_ok "atftpd still running"; else tap_not_ok "atftpd still running"; fi
fi
tap_diag "the test took $(($(date +%s) - test_start)) s"
tap_done
