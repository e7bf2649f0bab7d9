#!/usr/bin/env bash
# Check each boot-storm server setup by hand, with real clients from Debian's packages, before
# (or without) the bench: in namespace <p>-bench on <p>-veth1 (no keep-off rule here),
#   udhcpc (PXE vendor class, option 93 arch 0, option 97 UUID) gets a lease, boot file and
#     next-server;
#   tftp (tftp-hpa) fetches the boot file, pxelinux.cfg/default, a config-search miss
#     (pxelinux.cfg/01-<mac>: must be "file not found") and initrd.img; curl fetches vmlinuz over
#     TFTP with blksize 1468; every file compared with the tree;
#   curl fetches the kickstart URL named by the config's APPEND.
# Prints one "ok"/"FAIL" line per check and a summary; exit status 1 if any check failed.
#
# Usage: sudo bench/storm-lab/verify.sh [SERVER...]   (default: all four setups)
# Environment: BS_LAB_PREFIX (default h4 here: the storm lab's own names), BS_BUILD_DIR (for
# bootstorm), BS_STORM_KERNEL_KIB / BS_STORM_INITRD_KIB (tree sizes), BS_STORM_VERIFY_KEEP=1
# keeps the work directory.
set -euo pipefail
export BS_LAB_PREFIX=${BS_LAB_PREFIX:-h4}
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../../tools/lab/lib.sh
source "$repo/tools/lab/lib.sh"
# shellcheck source=lib.sh
source "$repo/bench/storm-lab/lib.sh"
bs_require_root

servers=("$@")
((${#servers[@]})) || read -r -a servers <<<"$STORM_SERVERS_ALL"
work=$(mktemp -d /tmp/bs-storm-verify.XXXXXX)
fails=0
checks=0

cleanup() {
    local rc=$?
    set +e
    storm_server_stop
    storm_lab_down
    if [[ ${BS_STORM_VERIFY_KEEP:-0} == 1 ]]; then storm_say "kept $work"; else rm -rf "$work"; fi
    exit "$rc"
}
trap cleanup EXIT

ok() { checks=$((checks + 1)); printf 'ok    %-15s %s\n' "$srv" "$1"; }
bad() {
    checks=$((checks + 1)); fails=$((fails + 1))
    printf 'FAIL  %-15s %s\n' "$srv" "$1"
    shift
    local l
    for l in "$@"; do printf '      %s\n' "$l"; done
}
b() { ip netns exec "$STORM_NS_BENCH" "$@"; }

storm_tree
storm_lab_up
mac=$(cat "/sys/class/net/$STORM_IF_BENCH/address" 2>/dev/null || b cat "/sys/class/net/$STORM_IF_BENCH/address")
uuid=00112233445566778899aabbccddeeff

cat >"$work/udhcpc.script" <<'EOF'
#!/bin/sh
# udhcpc's event script: record the lease's variables; put the address on the interface.
case $1 in
bound | renew)
    ip addr flush dev "$interface"
    ip addr add "$ip/${mask:-20}" dev "$interface"
    { echo "ip=$ip"; echo "siaddr=$siaddr"; echo "boot_file=$boot_file"; echo "serverid=$serverid"
      echo "router=$router"; echo "mask=$mask"; echo "lease=$lease"; } >"$UDHCPC_OUT"
    ;;
deconfig) ip addr flush dev "$interface" ;;
esac
exit 0
EOF
chmod +x "$work/udhcpc.script"

for srv in "${servers[@]}"; do
    d=$work/$srv
    mkdir -p "$d"
    storm_say "== $srv"
    storm_server_start "$srv" "$work/servers"
    b ip addr flush dev "$STORM_IF_BENCH"
    b ip neigh flush dev "$STORM_IF_BENCH" 2>/dev/null || true

    # --- DHCP ---------------------------------------------------------------------------------
    rc=0
    out=$(b env UDHCPC_OUT="$d/lease" timeout 40 udhcpc -i "$STORM_IF_BENCH" -f -q -n -t 6 -T 3 \
        -s "$work/udhcpc.script" -V PXEClient:Arch:00000:UNDI:002001 \
        -x 0x5d:0000 -x "0x61:00$uuid" 2>&1) || rc=$?
    if ((rc == 0)) && [[ -s $d/lease ]]; then
        ip='' mask='' siaddr='' boot_file='' serverid=''
        # shellcheck disable=SC1091
        . "$d/lease"
        ok "udhcpc: lease $ip/$mask, next-server '$siaddr', boot file '$boot_file', server id $serverid"
    else
        bad "udhcpc: no lease (exit $rc)" "$out"
        storm_server_stop
        continue
    fi
    [[ $boot_file == pxelinux.0 ]] && ok "boot file is pxelinux.0" || bad "boot file is pxelinux.0 (got '$boot_file')"
    [[ $siaddr == "$STORM_SERVER" ]] && ok "next-server is $STORM_SERVER" || bad "next-server is $STORM_SERVER (got '$siaddr')"
    tsrv=${siaddr:-$STORM_SERVER}

    # --- TFTP -----------------------------------------------------------------------------------
    hpa() { (cd "$d" && b timeout 120 tftp "$tsrv" -m binary -c "$@" 2>&1); }
    for f in "${boot_file:-pxelinux.0}" pxelinux.cfg/default ldlinux.c32 menu.c32; do
        local_name=$(tr '/' '_' <<<"$f")
        rc=0; t0=$(date +%s.%N); out=$(hpa get "$f" "$local_name") || rc=$?; t1=$(date +%s.%N)
        if ((rc == 0)) && [[ -s $d/$local_name ]] && { [[ $f == pxelinux.cfg/default ]] || cmp -s "$d/$local_name" "$STORM_TREE/$f"; }; then
            ok "tftp-hpa get $f: $(stat -c %s "$d/$local_name") bytes in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s"
        else
            bad "tftp-hpa get $f" "exit $rc: $out"
        fi
    done
    miss="pxelinux.cfg/01-${mac//:/-}"
    out=$(hpa get "$miss" miss) || true
    [[ $out == *"Error code 1"* ]] && ok "tftp-hpa get $miss: a miss (Error code 1, file not found)" ||
        bad "tftp-hpa get $miss: a miss (Error code 1)" "$out"
    rc=0; t0=$(date +%s.%N); out=$(hpa get initrd.img initrd.img) || rc=$?; t1=$(date +%s.%N)
    if ((rc == 0)) && cmp -s "$d/initrd.img" "$STORM_TREE/initrd.img"; then
        ok "tftp-hpa get initrd.img: $(stat -c %s "$d/initrd.img") bytes, identical, $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s (blksize 512)"
    else
        bad "tftp-hpa get initrd.img" "exit $rc: $out" "$(cmp "$d/initrd.img" "$STORM_TREE/initrd.img" 2>&1 || true)"
    fi
    rm -f "$d/initrd.img"
    rc=0; t0=$(date +%s.%N)
    out=$(b timeout 120 curl -sS --tftp-blksize 1468 -o "$d/vmlinuz" "tftp://$tsrv/vmlinuz" 2>&1) || rc=$?
    t1=$(date +%s.%N)
    if ((rc == 0)) && cmp -s "$d/vmlinuz" "$STORM_TREE/vmlinuz"; then
        ok "curl tftp vmlinuz (blksize 1468): identical, $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s"
    else
        bad "curl tftp vmlinuz (blksize 1468)" "exit $rc: $out"
    fi
    rm -f "$d/vmlinuz"
    # what the server says to blksize 1468 + windowsize 64 (atftp prints the OACK with --trace)
    rc=0; t0=$(date +%s.%N)
    out=$(b timeout 120 atftp --option "blksize 1468" --option "windowsize 64" --option "tsize 0" --trace \
        -g -r vmlinuz -l "$d/vmlinuz" "$tsrv" 2>&1) || rc=$?
    t1=$(date +%s.%N)
    oack=$(grep -m1 'received OACK' <<<"$out" || true)
    if ((rc == 0)) && cmp -s "$d/vmlinuz" "$STORM_TREE/vmlinuz"; then
        ok "atftp vmlinuz (blksize 1468, windowsize 64): identical, $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s; ${oack:-no OACK}"
    else
        bad "atftp vmlinuz (blksize 1468, windowsize 64)" "exit $rc: $(tail -n 3 <<<"$out")"
    fi
    rm -f "$d/vmlinuz"

    # --- the config and the kickstart -------------------------------------------------------------
    cfg=$d/pxelinux.cfg_default
    if [[ -s $cfg ]]; then
        grep -qi '^UI[[:space:]]\+menu.c32' "$cfg" && ok "config: UI menu.c32" || bad "config: UI menu.c32" "$(cat "$cfg")"
        append=$(grep -i -m1 '^[[:space:]]*APPEND' "$cfg" || true)
        kernel=$(awk 'tolower($1) == "kernel" || tolower($1) == "linux" { print $2; exit }' "$cfg")
        [[ $kernel == vmlinuz && $append == *initrd=initrd.img* ]] && ok "config: KERNEL vmlinuz, APPEND initrd=initrd.img" ||
            bad "config: KERNEL vmlinuz, APPEND initrd=initrd.img" "$(cat "$cfg")"
        ks=$(grep -o '\(inst\.\)\?ks=[^ ]*' <<<"$append" | head -1 | sed 's/^[^=]*=//')
        if [[ -n $ks ]]; then
            rc=0; out=$(b timeout 20 curl -sS -o "$d/ks.cfg" -w '%{http_code}' "$ks" 2>&1) || rc=$?
            if ((rc == 0)) && [[ $out == 200 ]] && cmp -s "$d/ks.cfg" "$STORM_TREE/ks.cfg"; then
                ok "curl $ks: 200, the lab's ks.cfg"
            else
                bad "curl $ks" "exit $rc, HTTP $out"
            fi
        else
            bad "config: a kickstart URL (ks=) in APPEND" "$(cat "$cfg")"
        fi
        sed 's/^/      | /' "$cfg"
    fi
    storm_server_stop
done
printf '%d checks, %d failed\n' "$checks" "$fails"
((fails == 0))
