#!/usr/bin/env bash
# Integration: real DHCP clients (busybox udhcpc, ISC dhclient) against the appliance in
# the lab. bs-c0's own MAC is random (not reserved): it must get a pool address; with
# the reserved MAC it must get the reservation. TAP output.
# Usage: dhcp_clients.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
# shellcheck source=tools/lab/tap.sh
source "$(cd "${2:?source dir}" && pwd)/tools/lab/tap.sh"
bs_test_begin "$@"

work=$BS_TEST_WORK

# udhcpc event script: print the lease's variables, configure nothing.
cat >"$work/udhcpc.sh" <<'SH'
#!/bin/sh
[ "$1" = bound ] || exit 0
for v in ip mask subnet router serverid lease siaddr boot_file; do eval "echo $v=\${$v:-}"; done
SH
# dhclient event script (-sf): record the new lease, touch no resolv.conf. (dhclient
# gives its script a fresh environment, so the output path is written into it.)
cat >"$work/dhclient.sh" <<SH
#!/bin/sh
case "\$reason" in BOUND|RENEW|REBOOT) echo "ip=\$new_ip_address" >>"$work/dhclient.out" ;; esac
exit 0
SH
chmod +x "$work/udhcpc.sh" "$work/dhclient.sh"

# field NAME TEXT: the value of NAME=... in udhcpc's output
field() { sed -n "s/^$1=//p" <<<"$2" | head -n1; }
in_pool() {
    local last=${1##*.}
    [[ $1 == 10.77.0.* ]] && ((last >= 100 && last <= 200))
}
# udhcpc_lease: a PXE-looking DISCOVER (option 60 PXEClient, option 93 = BIOS)
udhcpc_lease() {
    bs_c0 udhcpc -i "$BS_C0_IF" -n -q -f -t 6 -T 2 \
        -V 'PXEClient:Arch:00000:UNDI:002001' -x 0x5d:0000 -s "$work/udhcpc.sh" 2>"$work/udhcpc.err"
}
set_mac() {
    ip -n "$BS_NS_C0" link set "$BS_C0_IF" down
    ip -n "$BS_NS_C0" link set "$BS_C0_IF" address "$1"
    ip -n "$BS_NS_C0" link set "$BS_C0_IF" up
}

own_mac=$(ip netns exec "$BS_NS_C0" cat "/sys/class/net/$BS_C0_IF/address")
[[ $own_mac != "$BS_VM_MAC" ]] || tap_bail "bs-c0 came up with the reserved MAC; cannot test the pool"

# Another host already uses the pool's first address (bs-c0's kernel answers ARP for it): the
# appliance's ARP probes find it, and it is never handed out.
ip -n "$BS_NS_C0" addr add 10.77.0.100/24 dev "$BS_C0_IF"
bs_test_appliance_up

# 1. an unknown MAC gets a pool address, with the PXE answers
if out=$(udhcpc_lease); then
    tap_ok "udhcpc ($own_mac) gets a lease"
else
    tap_not_ok "udhcpc ($own_mac) gets a lease" "$(cat "$work/udhcpc.err")"
fi
pool_ip=$(field ip "$out")
if in_pool "$pool_ip"; then tap_ok "lease $pool_ip is from the pool 10.77.0.100-200"; else tap_not_ok "lease is from the pool 10.77.0.100-200" "got '$pool_ip'"; fi
if [[ $pool_ip != 10.77.0.100 ]]; then tap_ok "the address in use (10.77.0.100) was not offered"; else
    tap_not_ok "the address in use (10.77.0.100) was not offered" "$(grep -i 'in use' "$BS_TEST_APPLIANCE_LOG")"; fi
tap_contains "appliance log: the conflict found by ARP probe" "$(cat "$BS_TEST_APPLIANCE_LOG")" \
    "address 10.77.0.100 is in use by $own_mac (ARP)"
tap_is "server identifier is the appliance" "$(field serverid "$out")" "$BS_SERVER_IP"
tap_is "router option from the pool" "$(field router "$out")" "10.77.0.1"
tap_is "subnet mask /24" "$(field mask "$out")" "24"
tap_is "lease time 1h" "$(field lease "$out")" "3600"
tap_is "siaddr (next-server) is the appliance" "$(field siaddr "$out")" "$BS_SERVER_IP"
tap_is "boot file for a BIOS PXE client" "$(field boot_file "$out")" "pxelinux.0"

# 2. the same MAC asks again: same address
out=$(udhcpc_lease) || true
tap_is "same MAC, second DISCOVER: same address" "$(field ip "$out")" "$pool_ip"

# 3. ISC dhclient (no resolv.conf writes: -sf, private -lf/-pf) gets the same lease
: >"$work/dhclient.out"
if bs_c0 timeout 40 dhclient -1 -sf "$work/dhclient.sh" -lf "$work/dhclient.leases" \
    -pf "$work/dhclient.pid" "$BS_C0_IF" >"$work/dhclient.err" 2>&1; then
    tap_is "dhclient gets the same pool address" "$(field ip "$(cat "$work/dhclient.out")")" "$pool_ip"
else
    tap_not_ok "dhclient gets the same pool address" "$(cat "$work/dhclient.err")"
fi
if [[ -s $work/dhclient.pid ]]; then
    bs_c0 dhclient -x -sf "$work/dhclient.sh" -lf "$work/dhclient.leases" -pf "$work/dhclient.pid" \
        "$BS_C0_IF" >/dev/null 2>&1 || true
fi
ip -n "$BS_NS_C0" -4 addr flush dev "$BS_C0_IF"

# 4. the reserved MAC gets its reservation
set_mac "$BS_VM_MAC"
if out=$(udhcpc_lease); then
    tap_is "reserved MAC $BS_VM_MAC gets its reservation" "$(field ip "$out")" "10.77.0.11"
else
    tap_not_ok "reserved MAC $BS_VM_MAC gets its reservation" "$(cat "$work/udhcpc.err")"
fi
set_mac "$own_mac"

bs_test_appliance_alive "appliance still running after all clients"
tap_done
