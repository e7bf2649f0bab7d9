#!/usr/bin/env bash
# Integration: the same appliance on DPDK's net_af_xdp instead of net_af_packet (AF_XDP takes
# the frames away from the kernel; it has no multi-segment TX, so DATA takes the copy path):
# a DHCP lease (udhcpc) and byte-identical TFTP reads with tftp-hpa, curl and atftp windowed.
# Usage: port_af_xdp.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
# shellcheck source=tools/lab/tap.sh
source "$(cd "${2:?source dir}" && pwd)/tools/lab/tap.sh"
bs_test_begin "$@"

work=$BS_TEST_WORK
srv=$BS_SERVER_IP
root=$BS_TFTP_ROOT
file=bs-test-xdp.bin

bs_config_variant "$work/xdp.toml" 's|"net_af_packet0,iface=([^"]*)"|"net_af_xdp0,iface=\1"|'
bs_test_appliance_up "$work/xdp.toml"
if grep -q "TFTP DATA on net_af_xdp0: copied" "$BS_TEST_APPLIANCE_LOG"; then
    tap_ok "the dataplane runs on net_af_xdp0 and chose the copy path for DATA"
else
    tap_not_ok "the dataplane runs on net_af_xdp0 and chose the copy path for DATA" \
        "$(grep -m3 -i 'TFTP DATA on\|af_xdp' "$BS_TEST_APPLIANCE_LOG" || true)"
fi

out=$(bs_c0 timeout 20 udhcpc -i "$BS_C0_IF" -n -q -t 5 -s /bin/true 2>&1 || true)
tap_contains "udhcpc: a lease over AF_XDP" "$out" "obtained from $srv"
ip -n "$BS_NS_C0" addr replace 10.77.0.61/24 dev "$BS_C0_IF"

head -c $((3 << 20)) /dev/urandom >"$root/$file"
# The test's exit status goes on to bs_test_cleanup (errexit off, or a failure ends the handler).
trap 'rc=$?; set +e; rm -f "$root/$file"; (exit $rc); bs_test_cleanup' EXIT
check() { # DESC OUTPUT_FILE RC CLIENT_OUTPUT
    if (($3 == 0)) && cmp -s "$root/$file" "$2"; then tap_ok "$1"; else
        tap_not_ok "$1" "client exit status $3" "$4" "cmp: $(cmp "$root/$file" "$2" 2>&1 || true)"
    fi
}
rc=0; out=$(cd "$work" && bs_c0 timeout 60 tftp "$srv" -m binary -c get "$file" hpa 2>&1) || rc=$?
check "tftp-hpa (lock-step, blksize 512): byte-identical" "$work/hpa" "$rc" "$out"
rc=0; out=$(bs_c0 curl -sS --max-time 60 --tftp-blksize 1468 -o "$work/curl" "tftp://$srv/$file" 2>&1) || rc=$?
check "curl (blksize 1468): byte-identical" "$work/curl" "$rc" "$out"
rc=0
out=$(bs_c0 timeout 60 atftp --option "blksize 1468" --option "windowsize 64" --trace \
    -g -r "$file" -l "$work/atftp" "$srv" 2>&1) || rc=$?
check "atftp (blksize 1468, windowsize 64): byte-identical" "$work/atftp" "$rc" "$out"
tap_contains "atftp: the OACK acknowledges windowsize 64" "$(grep -m1 'received OACK' <<<"$out" || true)" "windowsize: 64"
bs_test_appliance_alive "appliance still running"
tap_done
