#!/usr/bin/env bash
# TFTP: bootstorm against atftpd 0.8 and tftpd-hpa 5.2, measured in one run on one lab wire, and
# that wire's own UDP limit (iperf3). Prints a markdown section for docs/BENCHMARKS.md on stdout
# (progress on stderr).
#
# Usage: sudo bench/tftp-peers.sh          (after tools/setup-deps and a build)
#
# Cases, each repeated BS_BENCH_REPS times, the median reported; every byte every client read
# is compared with the file (a pipe into cmp: no copy on disk); a run with one wrong byte, a
# failed or a timed-out client is invalid: the table gives the median of the valid runs and
# counts the invalid ones, and the exit status is 1 if a bootstorm run was invalid:
#   (a) one client reads a BS_BENCH_SINGLE_MIB file with atftp, blksize 1468, windowsize 64,
#       tsize (RFC 7440: a server without windowsize answers lock-step);
#   (b) the same file with curl, blksize 1468, lock-step (curl has no windowsize);
#   (c) a storm: BS_BENCH_CLIENTS client processes at once, each reading the same
#       BS_BENCH_STORM_MIB image, spread over BS_BENCH_STORM_ADDRS client namespaces (one
#       address each, 10.77.0.10 and up, each a port of the lab bridge); aggregate goodput =
#       clients * size / makespan (first start to last finish);
#   (w) the wire: iperf3 UDP, 1472-byte datagrams (1500-byte IP packets, as a DATA of blksize
#       1468), unlimited rate, server -> client (-R), 8 MiB socket buffers, one pair per core
#       at once (one iperf3 process is bound by one core, like one TFTP client), the receivers'
#       rates added up; (c) is shown as a percentage of it.
#
# Environment (defaults):
#   BS_BUILD_DIR=build               build with tools/bootstorm-ctl
#   BS_LAB_PREFIX=bs                 lab names (another prefix runs beside a CI lab)
#   BS_BENCH_REPS=3                  repetitions of every measurement
#   BS_BENCH_SINGLE_MIB=64           file of cases (a) and (b)
#   BS_BENCH_CLIENTS=200             storm clients (c)
#   BS_BENCH_STORM_MIB=32            image each storm client reads
#   BS_BENCH_STORM_CLIENT=atftp      atftp (windowsize, blksize 1468), curl (blksize 1468,
#                                    lock-step) or mix (every other client)
#   BS_BENCH_STORM_ADDRS=25          client addresses (namespaces) the storm clients share,
#                                    1 to 40: bootstorm admits max_sessions_per_client (16)
#                                    transfers at once from one address, as a storm of
#                                    machines has one address each
#   BS_BENCH_STORM_SERVERS="bootstorm atftpd tftpd-hpa"   servers of case (c)
#   BS_BENCH_WINDOW=64               windowsize the atftp client asks for
#   BS_BENCH_BLKSIZE=1468            blksize every client asks for
#   BS_BENCH_IPERF_S=10              length of one iperf3 run, seconds
#   BS_BENCH_IPERF_PAIRS=$(nproc)    iperf3 client/server pairs at once (their rates add up)
#   BS_BENCH_IPERF_WINDOW=8M         iperf3 socket buffers (-w); the default ones overflow
#   BS_BENCH_TIMEOUT=600             time limit of one client's transfer, seconds
#   BS_BENCH_OUT=                    also write the markdown section to this file
#   BS_BENCH_KEEP=0                  1: keep the work directory (servers' logs, the last storm's
#                                    client output)
#
# Topology: the lab's (docs/LAB.md). The clients are namespace <prefix>-c0 (10.77.0.60) and, for
# the storm, <prefix>-s0, -s1, ... (bs_peer_add, 10.77.0.10, .11, ...); every
# server answers at 10.77.0.1 on <prefix>-veth0 in <prefix>-srv, one after another, so all cross
# the same veth pair and bridge: first bootstorm (DPDK net_af_packet on the veth, the kernel kept
# off it by the lab's nftables `keepoff` table), then - bootstorm stopped, `keepoff` deleted and
# 10.77.0.1/24 put on the veth - atftpd (unpacked with bs_unpacked, never installed: it
# conflicts with tftpd-hpa), tftpd-hpa's in.tftpd (unpacked likewise) and iperf3, each in the
# foreground of its own process group, stopped before the next starts. All serve the lab's TFTP
# root, where the bench writes its files (bench.<prefix>.*.bin, removed at the end).
set -euo pipefail
# shellcheck source=../tools/lab/lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tools/lab/lib.sh"
bs_require_root

reps=${BS_BENCH_REPS:-3}
single_mib=${BS_BENCH_SINGLE_MIB:-64}
clients=${BS_BENCH_CLIENTS:-200}
storm_mib=${BS_BENCH_STORM_MIB:-32}
storm_client=${BS_BENCH_STORM_CLIENT:-atftp}
storm_ns=${BS_BENCH_STORM_ADDRS:-25}
storm_servers=${BS_BENCH_STORM_SERVERS:-bootstorm atftpd tftpd-hpa}
ws=${BS_BENCH_WINDOW:-64}
blk=${BS_BENCH_BLKSIZE:-1468}
iperf_s=${BS_BENCH_IPERF_S:-10}
pairs=${BS_BENCH_IPERF_PAIRS:-$(nproc)}
iperf_w=${BS_BENCH_IPERF_WINDOW:-8M}
tmo=${BS_BENCH_TIMEOUT:-600}
((storm_ns >= 1 && storm_ns <= 40)) || bs_die "BS_BENCH_STORM_ADDRS: 1 to 40 (got '$storm_ns')"
case $storm_client in atftp | curl | mix) ;; *) bs_die "BS_BENCH_STORM_CLIENT: atftp, curl or mix (got '$storm_client')" ;; esac

srv=$BS_SERVER_IP
cli_ip=10.77.0.60
single=bench.$BS_LAB_PREFIX.single-${single_mib}m.bin
storm=bench.$BS_LAB_PREFIX.storm-${storm_mib}m.bin
work=$(mktemp -d /tmp/bs-bench-peers.XXXXXX)
server_pid=
invalid=0

say() { printf '[bench] %s\n' "$*" >&2; }

cleanup() {
    local rc=$?
    server_stop
    bs_appliance_stop
    rm -f "$BS_TFTP_ROOT/$single" "$BS_TFTP_ROOT/$storm"
    "$BS_REPO/tools/lab/net" down >/dev/null 2>&1 || true
    if [[ ${BS_BENCH_KEEP:-0} == 1 ]]; then say "kept $work (logs, failed clients' output)"; else rm -rf "$work"; fi
    exit "$rc"
}
trap cleanup EXIT

# --- the peers, unpacked (never installed) ---------------------------------------------
atftpd=$(bs_unpacked atftpd /usr/sbin/atftpd)
tftpd=$(bs_unpacked tftpd-hpa /usr/sbin/in.tftpd)
for b in "$atftpd" "$tftpd"; do
    missing=$(ldd "$b" | awk '/not found/ { print $1 }')
    [[ -z $missing ]] || bs_die "$b needs libraries that are not installed: $missing (tools/setup-deps)"
done
for p in atftp curl iperf3 cmp; do command -v "$p" >/dev/null || bs_die "$p missing (tools/setup-deps)"; done

# --- the lab -------------------------------------------------------------------------------
out=$("$BS_REPO/tools/lab/payload" 2>&1) || bs_die "lab payload failed: $out"
"$BS_REPO/tools/lab/net" down >/dev/null 2>&1 || true
"$BS_REPO/tools/lab/net" up >/dev/null
ip -n "$BS_NS_C0" addr replace "$cli_ip/24" dev "$BS_C0_IF"
storm_nss=()
for ((k = 0; k < storm_ns; k++)); do
    bs_peer_add "s$k" "10.77.0.$((10 + k))/24"
    storm_nss+=("$BS_PEER_NS")
done

make_file() {  # NAME MIB: random bytes, renamed into place (never served half-written)
    head -c $(($2 << 20)) /dev/urandom >"$BS_TFTP_ROOT/$1.tmp"
    mv "$BS_TFTP_ROOT/$1.tmp" "$BS_TFTP_ROOT/$1"
}
make_file "$single" "$single_mib"
make_file "$storm" "$storm_mib"

# --- servers -----------------------------------------------------------------------------
# wire_kernel: the veth to the kernel (bootstorm stopped): no keep-off drop, the appliance's
# address on the veth itself. The client's ARP entry is flushed (the MAC is the veth's either way).
wire_kernel() {
    ip netns exec "$BS_NS_SRV" nft delete table netdev keepoff 2>/dev/null || true
    ip -n "$BS_NS_SRV" addr replace "$srv/24" dev "$BS_VETH_SRV"
    ip -n "$BS_NS_C0" neigh flush dev "$BS_C0_IF"
    local ns
    for ns in "${storm_nss[@]}"; do ip -n "$ns" neigh flush dev "$ns"; done
}

# server_start NAME: start bootstorm, atftpd, tftpd-hpa or iperf3 at 10.77.0.1; returns when it answers.
server_start() {
    local name=$1 i
    case $name in
    bootstorm)
        rm -rf "$BS_STATE_DIR"
        mkdir -p "$BS_STATE_DIR"
        bs_appliance_start "$work/appliance.log"
        bs_appliance_wait_ready 60 || bs_die "bootstorm did not come up: $(tail -n 20 "$work/appliance.log")"
        return 0
        ;;
    atftpd)
        # --daemon --no-fork: standalone in the foreground; -m: a thread per client (default 100).
        setsid ip netns exec "$BS_NS_SRV" "$atftpd" --daemon --no-fork --logfile "$work/atftpd.log" \
            --user root --group root --bind-address "$srv" --port 69 -m $((clients + 16)) \
            "$BS_TFTP_ROOT" </dev/null >>"$work/atftpd.out" 2>&1 &
        ;;
    tftpd-hpa)
        # -L: foreground; -s: chroot into the root (it drops to nobody; the root is world-readable).
        setsid ip netns exec "$BS_NS_SRV" "$tftpd" -L -s -a "$srv:69" "$BS_TFTP_ROOT" \
            </dev/null >>"$work/tftpd.out" 2>&1 &
        ;;
    iperf3)
        # one server per pair, all in one process group
        # shellcheck disable=SC2016  # $1.. are bash -c's arguments
        setsid bash -c 'for ((k = 0; k < $1; k++)); do
                ip netns exec "$2" iperf3 -s -B "$3" -p $((5201 + k)) </dev/null &
            done; wait' _ "$pairs" "$BS_NS_SRV" "$srv" >>"$work/iperf3-server.out" 2>&1 &
        ;;
    esac
    server_pid=$!
    local port=69
    [[ $name != iperf3 ]] || port=$((5200 + pairs))  # the last one
    for ((i = 0; i < 50; i++)); do
        ip netns exec "$BS_NS_SRV" ss -Hltun "sport = :$port" | grep -q . && return 0
        kill -0 "$server_pid" 2>/dev/null || bs_die "$name exited at start: $(tail -n 5 "$work"/*.out 2>/dev/null)"
        sleep 0.1
    done
    bs_die "$name does not listen on port $port"
}

server_stop() {
    if [[ -n $server_pid ]]; then
        kill -TERM -- "-$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
        kill -KILL -- "-$server_pid" 2>/dev/null || true  # tftpd-hpa's children
        server_pid=
    fi
}

# --- measurements ------------------------------------------------------------------------
c0() { ip netns exec "$BS_NS_C0" "$@"; }
atftp_get() {  # REMOTE: to stdout
    timeout -k 10 "$tmo" atftp --option "blksize $blk" --option "windowsize $ws" --option "tsize 0" \
        -g -r "$1" -l /dev/stdout "$srv"
}
curl_get() { timeout -k 10 "$tmo" curl -sS --tftp-blksize "$blk" "tftp://$srv/$1"; }

# one_read CLIENT FILE: seconds for one read by one client, or "invalid".
one_read() {
    local client=$1 file=$2 start end rc
    start=$(date +%s.%N)
    # shellcheck disable=SC2016  # the script runs in the client namespace's bash
    rc=$(c0 bash -c "$(declare -f atftp_get curl_get); $(declare -p tmo blk ws srv)"'
        ${1}_get "$2" 2>"$3" | cmp -s - "$4"; echo "${PIPESTATUS[0]} ${PIPESTATUS[1]}"' \
        _ "$client" "$file" "$work/one.err" "$BS_TFTP_ROOT/$file")
    end=$(date +%s.%N)
    if [[ $rc != "0 0" ]]; then
        say "invalid run: $client reading $file: exit status $rc (client, cmp): $(tail -n 3 "$work/one.err")"
        echo invalid
        return
    fi
    awk -v s="$start" -v e="$end" 'BEGIN { printf "%.3f", e - s }'
}

# storm_run: makespan of $clients concurrent reads of $storm (seconds), or "invalid". Client i
# runs in namespace i % storm_ns; each namespace's clients start from one shell there.
storm_run() {
    local dir=$work/storm k pids=()
    rm -rf "$dir"
    mkdir -p "$dir"
    for ((k = 0; k < storm_ns; k++)); do
        # shellcheck disable=SC2016  # the script runs in the client namespace's bash
        ip netns exec "${storm_nss[$k]}" bash -c "$(declare -f atftp_get curl_get); $(declare -p tmo blk ws srv)"'
            first=$1 step=$2 n=$3 mode=$4 file=$5 want=$6 dir=$7
            for ((i = first; i < n; i += step)); do
                c=$mode
                [[ $mode != mix ]] || { ((i % 2)) && c=curl || c=atftp; }
                (
                    s=$(date +%s.%N)
                    ${c}_get "$file" 2>"$dir/$i.err" | cmp -s - "$want"
                    st="${PIPESTATUS[0]} ${PIPESTATUS[1]}"
                    echo "$st $s $(date +%s.%N)" >"$dir/$i.rc"
                ) &
            done
            wait' _ "$k" "$storm_ns" "$clients" "$storm_client" "$storm" "$BS_TFTP_ROOT/$storm" "$dir" &
        pids+=($!)
    done
    for k in "${pids[@]}"; do wait "$k" || true; done
    local bad done_n
    bad=$(cat "$dir"/*.rc 2>/dev/null | awk '$1 != 0 || $2 != 0' | wc -l || true)
    done_n=$(cat "$dir"/*.rc 2>/dev/null | wc -l || true)
    if ((bad > 0 || done_n != clients)); then
        say "invalid storm run: $bad of $clients clients failed or read wrong bytes, $done_n reported; exit statuses (client, cmp): $(cat "$dir"/*.rc 2>/dev/null | awk '{ print $1 "," $2 }' | sort | uniq -c | tr '\n' ' ')"
        local f
        for f in $(awk '$1 != 0 || $2 != 0 { print FILENAME }' "$dir"/*.rc | head -n 3); do
            say "client $(basename "$f" .rc), its last words: $(grep -v '^Option ' "${f%.rc}.err" | tail -n 3 | tr '\n' '|')"
        done
        echo invalid
        return
    fi
    # makespan (the first client's start to the last one's end), the fastest and slowest client
    cat "$dir"/*.rc | awk '
        { d = $4 - $3; if (min == "" || d < min) min = d; if (d > max) max = d
          if (s0 == "" || $3 < s0) s0 = $3; if ($4 > e1) e1 = $4 }
        END { printf "%.3f %.3f %.3f\n", e1 - s0, min, max }'
}

median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
# summary VALUES...: "MEDIAN INVALID RUNS", the median of the valid runs ("-" when none was).
summary() {
    local v ok=() bad=0
    for v in "$@"; do
        if [[ $v == invalid ]]; then bad=$((bad + 1)); else ok+=("$v"); fi
    done
    if ((${#ok[@]})); then echo "$(median "${ok[@]}") $bad $#"; else echo "- $bad $#"; fi
}

# oack SERVER: what the server's OACK says to windowsize (atftp --trace of a small file)
oack_ws() {
    local o
    o=$(c0 timeout -k 5 30 atftp --option "blksize $blk" --option "windowsize $ws" --trace \
        -g -r pxelinux.0 -l /dev/null "$srv" 2>&1 | grep -m1 'received OACK' || true)
    if [[ $o =~ windowsize:\ ([0-9]+) ]]; then echo "${BASH_REMATCH[1]}"; else echo none; fi
}

declare -A A B C W
declare -A CMIN CMAX
run_cases() {  # SERVER
    local s=$1 i a=() b=() c=() cmin=() cmax=() r
    W[$s]=$(oack_ws)
    say "$s: OACK windowsize: ${W[$s]}"
    for ((i = 0; i < reps; i++)); do
        a+=("$(one_read atftp "$single")")
        b+=("$(one_read curl "$single")")
        say "$s: run $((i + 1))/$reps: (a) ${a[-1]} s, (b) ${b[-1]} s"
    done
    A[$s]=$(summary "${a[@]}")
    B[$s]=$(summary "${b[@]}")
    if [[ " $storm_servers " == *" $s "* ]]; then
        for ((i = 0; i < reps; i++)); do
            r=$(storm_run)
            if [[ $r == invalid ]]; then
                c+=(invalid)
            else
                read -r m lo hi <<<"$r"
                c+=("$m")
                cmin+=("$lo")
                cmax+=("$hi")
            fi
            say "$s: storm run $((i + 1))/$reps: $r (makespan, fastest, slowest client; s)"
        done
        C[$s]=$(summary "${c[@]}")
        CMIN[$s]=$( ((${#cmin[@]})) && median "${cmin[@]}" || echo -)
        CMAX[$s]=$( ((${#cmax[@]})) && median "${cmax[@]}" || echo -)
    fi
    # a wrong byte from bootstorm, or any failed bootstorm run, fails the bench; the peers'
    # failed runs are reported in the table
    if [[ $s == bootstorm ]]; then
        for r in "${A[$s]}" "${B[$s]}" "${C[$s]:-- 0}"; do
            read -r _ n _ <<<"$r"
            ((n == 0)) || invalid=1
        done
    fi
}

bench_start=$(date +%s)
say "bootstorm (DPDK net_af_packet on $BS_VETH_SRV)"
server_start bootstorm
run_cases bootstorm
bs_appliance_stop

wire_kernel
for s in atftpd tftpd-hpa; do
    say "$s (kernel UDP on $BS_VETH_SRV)"
    server_start "$s"
    run_cases "$s"
    server_stop
done

say "iperf3 (UDP, ${iperf_s}s, 1472-byte datagrams, server -> client, $pairs pairs at once)"
server_start iperf3
wire=()
wloss=()
for ((i = 0; i < reps; i++)); do
    pids=()
    for ((k = 0; k < pairs; k++)); do
        c0 iperf3 -c "$srv" -p $((5201 + k)) -u -b 0 -l 1472 -w "$iperf_w" -R -t "$iperf_s" -J \
            >"$work/iperf3.$k.json" 2>"$work/iperf3.$k.err" &
        pids+=($!)
    done
    for ((k = 0; k < pairs; k++)); do
        wait "${pids[$k]}" || bs_die "iperf3 failed: $(cat "$work/iperf3.$k.err") $(tail -c 500 "$work/iperf3.$k.json")"
    done
    # the receivers' rates added up; the loss over all datagrams sent
    read -r bps lost < <(python3 -c '
import json, sys
bps = lost = sent = 0
for f in sys.argv[1:]:
    e = json.load(open(f))["end"]["sum_received"]
    bps += e["bits_per_second"]
    lost += e["lost_packets"]
    sent += e["packets"]
print(bps, 100 * lost / max(sent, 1))' "$work"/iperf3.*.json)
    wire+=("$bps")
    wloss+=("$lost")
    say "iperf3 run $((i + 1))/$reps: $(awk -v b="$bps" 'BEGIN { printf "%.0f", b / 1e6 }') Mbit/s received, $(printf '%.1f' "$lost")% lost"
done
server_stop
wire_bps=$(median "${wire[@]}")
wire_loss=$(printf '%.1f' "$(median "${wloss[@]}")")
bench_s=$(($(date +%s) - bench_start))

# --- the report ----------------------------------------------------------------------------
# invalid_note "MEDIAN INVALID RUNS": what the table says about invalid runs
invalid_note() {
    local m bad n
    read -r m bad n <<<"$1"
    ((bad == 0)) || echo "; **$bad of $n runs invalid**"
}
fmt_one() {  # "MEDIAN INVALID RUNS" MIB: "2.31 s (27.7 MiB/s)"
    local m
    read -r m _ <<<"$1"
    [[ $m != - ]] || { echo "**invalid** (every run)"; return; }
    awk -v s="$m" -v mb="$2" 'BEGIN { printf "%.2f s (%.1f MiB/s)", s, mb / s }'
    invalid_note "$1"
}
ratio() {  # BOOTSTORM PEER ("MEDIAN INVALID RUNS" each): bootstorm's speed / the peer's (> 1: bootstorm faster)
    local a b
    read -r a _ <<<"${1:--}"
    read -r b _ <<<"${2:--}"
    [[ $a != - && $b != - ]] || { echo -; return; }
    awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", b / a }'
}
fmt_storm() {  # SERVER
    local m
    [[ -n ${C[$1]:-} ]] || { echo "not run"; return; }
    read -r m _ <<<"${C[$1]}"
    [[ $m != - ]] || { echo "**invalid** (every run)"; return; }
    awk -v m="$m" -v n="$clients" -v s="$storm_mib" -v w="$wire_bps" -v lo="${CMIN[$1]}" -v hi="${CMAX[$1]}" 'BEGIN {
        g = n * s * 1048576 * 8 / m
        printf "%.0f Mbit/s = %.0f%% of the wire; makespan %.1f s (clients %.1f-%.1f s)", g / 1e6, 100 * g / w, m, lo, hi }'
    invalid_note "${C[$1]}"
}
ver_atftpd=$("$atftpd" --version 2>&1 | grep -o '[0-9][0-9.]*' | head -1)
ver_tftpd=$(cat "$BS_CACHE_DIR/debs/tftpd-hpa/version")
ver_atftp=$(dpkg-query -W -f='${Version}' atftp)
ver_curl=$(dpkg-query -W -f='${Version}' curl)
ver_iperf=$(dpkg-query -W -f='${Version}' iperf3)
ver_dpdk=$(pkg-config --modversion libdpdk 2>/dev/null || dpkg-query -W -f='${Version}' dpdk 2>/dev/null || echo '?')
ver_bs=$(git -C "$BS_REPO" describe --always --dirty 2>/dev/null || echo '?')
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
envs=$(env | grep -E '^BS_(BENCH_|BUILD_DIR|LAB_PREFIX)' | sort | tr '\n' ' ' || true)
wire_mbit=$(awk -v b="$wire_bps" 'BEGIN { printf "%.0f", b / 1e6 }')
ws_note() { [[ ${W[$1]} == none ]] && echo "not negotiated (lock-step)" || echo "negotiated: ${W[$1]}"; }

report() {
    cat <<EOF
### TFTP against atftpd and tftpd-hpa on one lab wire ($(date -u +%Y-%m-%d))

- Machine: $(nproc) × $cpu, kernel $(uname -r), $(. /etc/os-release && echo "$PRETTY_NAME").
- Servers: bootstorm $ver_bs (DPDK $ver_dpdk, \`net_af_packet\` on the lab veth, lab config),
  atftpd $ver_atftpd (Debian $(cat "$BS_CACHE_DIR/debs/atftpd/version"), \`--daemon --no-fork -m $((clients + 16))\`),
  tftpd-hpa $ver_tftpd (\`in.tftpd -L -s\`); one after another at 10.77.0.1 on the same veth,
  the clients across the lab bridge: (a), (b) and iperf3 in namespace $BS_NS_C0, the storm from
  $storm_ns namespaces of one address each (bootstorm admits \`max_sessions_per_client\`, 16 by
  default, transfers at once from one address).
- Clients: atftp $ver_atftp, curl $ver_curl; iperf3 $ver_iperf. blksize $blk everywhere; atftp asks
  windowsize $ws and tsize. Windowsize in the OACK: bootstorm $(ws_note bootstorm), atftpd
  $(ws_note atftpd), tftpd-hpa $(ws_note tftpd-hpa).
- Command: \`sudo ${envs}bench/tftp-peers.sh\`; median of $reps runs; every read compared byte
  for byte with the file: a run with a wrong byte or a failed client is invalid, and the median
  is that of the valid runs. The whole bench took ${bench_s} s.

| case | client | bootstorm | atftpd $ver_atftpd | tftpd-hpa $ver_tftpd | bootstorm / atftpd | bootstorm / tftpd-hpa |
|---|---|---|---|---|---|---|
| (a) 1 client, ${single_mib} MiB | atftp, windowsize $ws | $(fmt_one "${A[bootstorm]}" "$single_mib") | $(fmt_one "${A[atftpd]}" "$single_mib") | $(fmt_one "${A[tftpd-hpa]}" "$single_mib") | $(ratio "${A[bootstorm]}" "${A[atftpd]}") | $(ratio "${A[bootstorm]}" "${A[tftpd-hpa]}") |
| (b) 1 client, ${single_mib} MiB | curl, lock-step | $(fmt_one "${B[bootstorm]}" "$single_mib") | $(fmt_one "${B[atftpd]}" "$single_mib") | $(fmt_one "${B[tftpd-hpa]}" "$single_mib") | $(ratio "${B[bootstorm]}" "${B[atftpd]}") | $(ratio "${B[bootstorm]}" "${B[tftpd-hpa]}") |
| (c) $clients clients × ${storm_mib} MiB | $storm_client$([[ $storm_client == curl ]] || echo ", windowsize $ws"), $storm_ns addresses | $(fmt_storm bootstorm) | $(fmt_storm atftpd) | $(fmt_storm tftpd-hpa) | $(ratio "${C[bootstorm]:-}" "${C[atftpd]:-}") | $(ratio "${C[bootstorm]:-}" "${C[tftpd-hpa]:-}") |

Ratios are speeds (above 1: bootstorm faster). The wire: iperf3 UDP, 1472-byte datagrams
(1500-byte packets, as DATA of blksize 1468), unlimited rate, server to client, ${iperf_s} s,
$pairs pairs at once, \`-w $iperf_w\`: **$wire_mbit Mbit/s** at the receivers (median; ${wire_loss}%
of the datagrams sent were lost).
(c) counts payload only (${blk} of every 1500 bytes) against it.
EOF
}
report
[[ -z ${BS_BENCH_OUT:-} ]] || report >"$BS_BENCH_OUT"
((invalid == 0)) || { say "bootstorm had invalid runs (see above)"; exit 1; }
