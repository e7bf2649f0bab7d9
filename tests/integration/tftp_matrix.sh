#!/usr/bin/env bash
# Integration: real clients are byte-identical. Every (client, file) pair is one TAP case,
# compared with cmp; then the same matrix again with 2% random loss on the client's link in
# both directions, and two timed cases under that loss.
#
# Files (random bytes, written into the TFTP root as bs-matrix.<prefix>.*.bin, removed at the
# end): 0 B, 1 B, 512 B (one full block, then an empty one), 65535*512 B and 65536*512 B (the
# block number reaches and passes 65535 at blksize 512), 100 MiB (rollover at blksize 1468 too);
# 8 MiB for the timed cases.
# Clients (namespace <prefix>-c0): tftp-hpa (lock-step, blksize 512: `tftp -m binary -c get`),
# curl (--tftp-blksize 1468, lock-step), atftp with blksize 1468 + tsize and windowsize 1, 16, 64
# (RFC 7440); per windowsize one case that the server's OACK acknowledges it (atftp --trace).
# Loss: nftables netdev chains on the client's veth inside its namespace, an ingress hook
# (server -> client) and an egress hook (client -> server), each `ip protocol udp numgen random
# mod 100 < 2 drop` (UDP only, so ARP is never lost). Their counters become one case.
# Timed (under that loss): an 8 MiB file reaches curl (blksize 1468) and tftp-hpa (512) in
# under BS_MATRIX_LIMIT_S (5) seconds each.
#
# Time: every client runs under `timeout -k 5` (atftp ignores SIGTERM: KILL 5 s later), and
# each half has a time budget (BS_MATRIX_BUDGET_S, seconds, default 150 lossless / 600 lossy):
# a case that would start past it is reported not ok ("budget exhausted") rather than run, so a
# slow or hung server fails the test in bounded time (about 12.5 minutes at worst) instead of
# blocking CI. With loss, the 100 MiB file goes to curl and atftp windowsize 64 only: lock-step
# at blksize 512 (tftp-hpa) or window 1 would spend over a minute each on 2% loss recovery
# alone. atftp with windowsize 1 and 16 is slow under loss by its own design: it answers a
# block it already has with at most one extra ACK, so when its ACK and that extra ACK are both
# lost it waits for its 5 s timer (the server backs off past it, docs/ARCHITECTURE.md): about
# 11 s per such event, some ten per 32 MiB at windowsize 1. Its lossy time limit allows for
# that.
#
# Usage: tftp_matrix.sh BUILD_DIR SOURCE_DIR     (root; BS_LAB_PREFIX picks the lab)
set -euo pipefail
# shellcheck source=tools/lab/tap.sh
source "$(cd "${2:?source dir}" && pwd)/tools/lab/tap.sh"
bs_test_begin "$@"

work=$BS_TEST_WORK
srv=$BS_SERVER_IP
root=$BS_TFTP_ROOT
loss_pct=${BS_MATRIX_LOSS_PCT:-2}
limit_s=${BS_MATRIX_LIMIT_S:-5}
budget_lossless=${BS_MATRIX_BUDGET_S:-150}
budget_lossy=${BS_MATRIX_BUDGET_S:-600}
loss_table=bsloss

# --- files -------------------------------------------------------------------------------
# The lab's TFTP root is shared by every lab prefix: names carry ours.
fname() { echo "bs-matrix.$BS_LAB_PREFIX.$1.bin"; }
made=()
# make_file LABEL BYTES: random bytes, copied then renamed (the dataplane serves a file as soon
# as it appears: never a half-written one).
make_file() {
    local f
    f=$root/$(fname "$1")
    head -c "$2" /dev/urandom >"$f.tmp"
    made+=("$f")
    mv "$f.tmp" "$f"
}

loss_off() { ip netns exec "$BS_NS_C0" nft delete table netdev "$loss_table" 2>/dev/null || true; }
loss_on() {
    loss_off
    ip netns exec "$BS_NS_C0" nft -f - <<NFT
table netdev $loss_table {
    chain in {
        type filter hook ingress device "$BS_C0_IF" priority 0; policy accept;
        ip protocol udp counter numgen random mod 100 < $loss_pct counter drop
    }
    chain out {
        type filter hook egress device "$BS_C0_IF" priority 0; policy accept;
        ip protocol udp counter numgen random mod 100 < $loss_pct counter drop
    }
}
NFT
}

matrix_cleanup() {
    local rc=$? f
    # errexit off: under it, the `(exit "$rc")` that hands the status on to bs_test_cleanup ends
    # this handler whenever the test failed (the appliance and the lab were left running).
    set +e
    loss_off
    for f in "${made[@]}"; do rm -f "$f" "$f.tmp"; done
    (exit "$rc")
    bs_test_cleanup
}
trap matrix_cleanup EXIT

# label bytes description
FILES=(
    "0 0 0 B"
    "1 1 1 B"
    "512 512 512 B (a full block, then an empty one)"
    "65535x512 33553920 65535*512 B (last block number 65535 at blksize 512)"
    "65536x512 33554432 65536*512 B (block number rolls over at blksize 512)"
    "100m 104857600 100 MiB (rolls over at blksize 1468 too)"
)
for spec in "${FILES[@]}"; do
    read -r label bytes _ <<<"$spec"
    make_file "$label" "$bytes"
done
make_file 8m $((8 << 20))

ip -n "$BS_NS_C0" addr replace 10.77.0.60/24 dev "$BS_C0_IF"
bs_test_appliance_up

# --- clients -----------------------------------------------------------------------------
# fetch CLIENT REMOTE LOCAL TIMEOUT: one read by CLIENT (hpa, curl, atftp1, atftp16, atftp64);
# prints the client's output, returns its exit status (124: timed out).
fetch() {
    local client=$1 remote=$2 local=$3 t=$4
    rm -f "$local"
    case $client in
    hpa) (cd "$(dirname "$local")" && bs_c0 timeout -k 5 "$t" tftp "$srv" -m binary -c get "$remote" "$(basename "$local")" 2>&1) ;;
    curl) bs_c0 timeout -k 5 "$t" curl -sS --tftp-blksize 1468 -o "$local" "tftp://$srv/$remote" 2>&1 ;;
    atftp*)
        bs_c0 timeout -k 5 "$t" atftp --option "blksize 1468" --option "tsize 0" \
            --option "windowsize ${client#atftp}" -g -r "$remote" -l "$local" "$srv" 2>&1
        ;;
    esac
}
client_desc() {
    case $1 in
    hpa) echo "tftp-hpa (lock-step, blksize 512)" ;;
    curl) echo "curl (lock-step, blksize 1468)" ;;
    atftp*) echo "atftp (windowsize ${1#atftp}, blksize 1468)" ;;
    esac
}
CLIENTS=(hpa curl atftp1 atftp16 atftp64)

now() { date +%s.%N; }
elapsed() { awk -v s="$1" -v e="$(now)" 'BEGIN { printf "%.2f", e - s }'; }

# A client's time limit: 20 s plus the file at 4 MiB/s without loss, 1/8 MiB/s with it (a
# lock-step transfer on this veth runs at tens of MiB/s: these only catch a hang or a collapse;
# atftp's stalls above need the lossy margin), never past the half's budget.
case_timeout() {
    local bytes=$1 lossy=$2 deadline=$3 t left
    if ((lossy)); then t=$((20 + 8 * bytes / (1 << 20))); else t=$((20 + bytes / (4 << 20))); fi
    left=$(awk -v d="$deadline" -v n="$(now)" 'BEGIN { printf "%d", d - n }')
    ((t < left)) || t=$left
    echo "$t"
}

# check_same DESC WANT GOT OUT RC SECONDS
check_same() {
    local desc=$1 want=$2 got=$3 out=$4 rc=$5 secs=$6
    # A client that succeeded on an empty file may not have created its output at all.
    if ((rc == 0)) && [[ ! -e $got && ! -s $want ]]; then : >"$got"; fi
    if ((rc == 0)) && [[ -f $got ]] && cmp -s "$want" "$got"; then
        tap_ok "$desc (${secs}s)"
    else
        local why="client exit status $rc"
        ((rc != 124 && rc != 137)) || why="client timed out after ${secs}s (exit status $rc)"
        tap_not_ok "$desc" "$why" "$(tail -n 5 <<<"$out")" \
            "cmp: $(cmp "$want" "$got" 2>&1 || true)" \
            "sizes: want $(stat -c %s "$want") got $(stat -c %s "$got" 2>/dev/null || echo none)"
        # curl 7.88 rejects an OACK that says tsize 0 ("invalid tsize -:0:- value in OACK
        # packet", exit 71); it always asks for tsize.
        if [[ $out == *"invalid tsize"* ]]; then
            tap_diag "curl refuses 'tsize 0' in an OACK: a server can leave tsize out of the OACK for an empty file"
        fi
    fi
}

# run_matrix PHASE LOSSY BUDGET_S
run_matrix() {
    local phase=$1 lossy=$2 deadline spec label bytes what client want got t0 t rc out desc
    deadline=$(awk -v n="$(now)" -v b="$3" 'BEGIN { printf "%.3f", n + b }')
    for spec in "${FILES[@]}"; do
        read -r label bytes what <<<"$spec"
        want=$root/$(fname "$label")
        for client in "${CLIENTS[@]}"; do
            if ((lossy)) && [[ $label == 100m && $client != curl && $client != atftp64 ]]; then
                continue  # see the header: lock-step 100 MiB under loss is too slow for CI
            fi
            desc="$phase: $(client_desc "$client"): $what"
            t=$(case_timeout "$bytes" "$lossy" "$deadline")
            if ((t < 5)); then
                tap_not_ok "$desc" "not run: the $phase half's budget of ${3}s is exhausted (earlier cases were slow)"
                continue
            fi
            got=$work/got.$client
            t0=$(now)
            rc=0
            out=$(fetch "$client" "$(fname "$label")" "$got" "$t") || rc=$?
            check_same "$desc" "$want" "$got" "$out" "$rc" "$(elapsed "$t0")"
            rm -f "$got"
        done
    done
}

# --- without loss ------------------------------------------------------------------------
run_matrix lossless 0 "$budget_lossless"

# The OACK acknowledges the windowsize asked for (RFC 7440); atftp --trace prints it as
# "received OACK <tsize: N, windowsize: 16, blksize: 1468, >".
for ws in 1 16 64; do
    rc=0
    out=$(bs_c0 timeout -k 5 30 atftp --option "blksize 1468" --option "tsize 0" --option "windowsize $ws" \
        --trace -g -r pxelinux.0 -l "$work/oack.$ws" "$srv" 2>&1) || rc=$?
    oack=$(grep -m1 'received OACK' <<<"$out" || true)
    tap_contains "atftp: the OACK acknowledges windowsize $ws (exit status $rc)" "$oack" "windowsize: $ws,"
done

# --- with loss ---------------------------------------------------------------------------
if out=$(loss_on 2>&1); then
    tap_ok "nftables: ${loss_pct}% UDP loss on $BS_C0_IF, ingress and egress"
else
    tap_bail "cannot install the loss rules" "$out"
fi

# Timed: under the loss, an 8 MiB file within the limit. A lost RRQ is the client's to resend:
# curl resends after --connect-timeout / 3 (1 s here; by default after 6 s), tftp-hpa after
# its `rexmt` (5 s by default, 1 s here through its command interpreter); the server's own
# timers recover everything after that.
want8=$root/$(fname 8m)
timed_case() {
    local desc=$1 rc=$2 out=$3 secs=$4 got=$5
    if ((rc == 0)) && cmp -s "$want8" "$got" && awk -v s="$secs" -v l="$limit_s" 'BEGIN { exit !(s < l) }'; then
        tap_ok "$desc: ${secs}s (limit ${limit_s}s)"
    else
        tap_not_ok "$desc: ${secs}s (limit ${limit_s}s)" "client exit status $rc" "$(tail -n 5 <<<"$out")" \
            "cmp: $(cmp "$want8" "$got" 2>&1 || true)"
    fi
    rm -f "$got"
}
t0=$(now); rc=0
out=$(bs_c0 timeout -k 5 30 curl -sS --connect-timeout 3 --tftp-blksize 1468 -o "$work/timed.curl" \
    "tftp://$srv/$(fname 8m)" 2>&1) || rc=$?
timed_case "lossy: curl (blksize 1468) reads 8 MiB" "$rc" "$out" "$(elapsed "$t0")" "$work/timed.curl"
t0=$(now); rc=0
out=$(cd "$work" && printf 'mode octet\nrexmt 1\ntimeout 25\nget %s timed.hpa\nquit\n' "$(fname 8m)" |
    bs_c0 timeout -k 5 30 tftp "$srv" 2>&1) || rc=$?
timed_case "lossy: tftp-hpa (blksize 512) reads 8 MiB" "$rc" "$out" "$(elapsed "$t0")" "$work/timed.hpa"

run_matrix lossy 1 "$budget_lossy"

# The rules did drop, in both directions, about as often as asked.
counters=$(ip netns exec "$BS_NS_C0" nft list table netdev "$loss_table" 2>&1 || true)
loss_off
read -r in_all in_drop out_all out_drop < <(awk '/counter packets/ {
    n = split($0, w, " "); c = 0
    for (i = 1; i <= n; i++) if (w[i] == "packets") v[++c] = w[i + 1]
    printf "%s %s ", v[1], v[2] } END { print "" }' <<<"$counters")
if ((${in_drop:-0} > 0 && ${out_drop:-0} > 0)); then
    tap_ok "loss rules dropped $in_drop of $in_all datagrams to the client and $out_drop of $out_all from it"
else
    tap_not_ok "loss rules dropped datagrams in both directions" "$counters"
fi

bs_test_appliance_alive "appliance still running after the matrix"
tap_done
