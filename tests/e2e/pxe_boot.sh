#!/usr/bin/env bash
# End to end: a QEMU VM (TCG) PXE-boots through the appliance in the lab, with BIOS firmware
# (SeaBIOS + iPXE's e1000 ROM -> pxelinux.0) or UEFI (OVMF + iPXE's EFI e1000 driver ->
# syslinux.efi): DHCP (the boot file chosen by option 93), the boot loader, its
# pxelinux.cfg/01-<mac>, the Debian kernel and the lab's initramfs, which takes a lease,
# fetches its kickstart over HTTP and prints it. TAP.
# With "proxy": the appliance runs in proxyDHCP mode ([dhcp] mode = "proxy") beside a dnsmasq
# that hands out the addresses (10.77.0.11 to the VM) and knows nothing of PXE; the VM gets
# its address from dnsmasq and its boot file from bootstorm.
# Usage: pxe_boot.sh BUILD_DIR SOURCE_DIR bios|uefi [proxy]
set -euo pipefail
# shellcheck source=tools/lab/tap.sh
source "$(cd "${2:?source dir}" && pwd)/tools/lab/tap.sh"
firmware=${3:?firmware: bios or uefi}
mode=${4:-server}
bs_test_begin "$1" "$2"
BS_TEST_NAME=pxe-boot-$firmware  # one log per firmware
[[ $mode == server ]] || BS_TEST_NAME=pxe-$mode-$firmware
case $firmware in
bios) loader=pxelinux.0 second_stage=ldlinux.c32 ;;
uefi) loader=syslinux.efi second_stage=ldlinux.e64 ;;
*) tap_bail "firmware must be bios or uefi, not '$firmware'" ;;
esac

vmlog=$BS_TEST_LOGDIR/$BS_TEST_NAME.vm.log
config=$BS_CONFIG
case $mode in
server) ;;
proxy)
    command -v dnsmasq >/dev/null || tap_bail "dnsmasq missing (Debian package dnsmasq-base: tools/setup-deps)"
    config=$BS_TEST_WORK/bootstorm.toml
    bs_config_variant "$config" 's|^authoritative = true.*|mode = "proxy"|'
    bs_peer_add dns 10.77.0.2/24
    dnsmasq_log=$BS_TEST_LOGDIR/$BS_TEST_NAME.dnsmasq.log
    # The network's own DHCP server: addresses only (the VM's fixed), no PXE, no DNS.
    ip netns exec "$BS_PEER_NS" dnsmasq --no-daemon --conf-file=/dev/null --user=root --port=0 \
        --interface="$BS_PEER_IF" --bind-interfaces --log-dhcp \
        --dhcp-range=10.77.0.150,10.77.0.199,255.255.255.0,1h --dhcp-host="$BS_VM_MAC,10.77.0.11" \
        --dhcp-option=option:router,10.77.0.1 --dhcp-leasefile="$BS_TEST_WORK/dnsmasq.leases" \
        >"$dnsmasq_log" 2>&1 &
    ;;
*) tap_bail "mode must be server or proxy, not '$mode'" ;;
esac
bs_test_appliance_up "$config"

# The console goes to the test log as TAP comments.
set +e
"$BS_REPO/tools/lab/vm" --firmware "$firmware" --log "$vmlog" --timeout "${BS_VM_TIMEOUT:-600}" --prefix '# ' 2>&1 |
    sed -u 's/^\([^#]\)/# \1/'
vm_rc=${PIPESTATUS[0]}
set -e
console=$(cat "$vmlog")
applog=$(cat "$BS_TEST_APPLIANCE_LOG")
marker() { sed -n "s/^BOOTSTORM-E2E $1 //p" <<<"$console" | head -n1; }

tap_is "VM boot completed (initramfs reported ok; tools/lab/vm status)" "$vm_rc" 0
tap_contains "iPXE got the reservation 10.77.0.11" "$console" "net0: 10.77.0.11/"
tap_contains "iPXE loaded $loader from the appliance" "$console" "tftp://$BS_SERVER_IP/$loader... ok"
if [[ $firmware == bios ]]; then tap_contains "PXELINUX ran" "$console" "PXELINUX"; fi
tap_contains "the kernel started the initramfs" "$console" "BOOTSTORM-E2E init kernel"
tap_is "the initramfs's udhcpc lease is the reservation" "$(marker lease)" "10.77.0.11"
tap_contains "kernel command line carries the rendered kickstart URL" "$(marker cmdline)" \
    "inst.ks=http://$BS_SERVER_IP/ks/node001.ks"
tap_contains "kernel command line carries the profile's append" "$(marker cmdline)" "ip=dhcp"

ks=$(sed -n '/^BOOTSTORM-E2E ks-begin$/,/^BOOTSTORM-E2E ks-end$/p' <<<"$console" | sed '1d;$d')
if [[ -n $ks ]]; then tap_ok "the VM fetched and printed its kickstart"; else tap_not_ok "the VM fetched and printed its kickstart"; fi
tap_contains "kickstart: hostname node001" "$ks" "node001"
tap_contains "kickstart: disk var sda" "$ks" "sda"
if [[ $ks == *'{{'* ]]; then tap_not_ok "kickstart: no unrendered placeholders" "$(grep -n '{{' <<<"$ks")"; else
    tap_ok "kickstart: no unrendered placeholders"; fi

# %post's shell must reach the VM untouched: every template line of the %post section
# without a placeholder appears verbatim in the rendered kickstart's %post.
template=$BS_LAB_DIR/kickstart/centos7.ks
post_of() { awk '/^%post/{p=1} p{print} p&&/^%end/{p=0}'; }
want_post=$(post_of <"$template" | grep -v '{{' || true)
got_post=$(post_of <<<"$ks")
missing=$(grep -vxF -f <(printf '%s\n' "$got_post") <<<"$want_post" || true)
if [[ -z $want_post ]]; then
    tap_not_ok "kickstart: %post shell untouched" "the template $template has no %post section"
elif [[ -z $missing ]]; then
    tap_ok "kickstart: %post shell untouched ($(wc -l <<<"$want_post") lines)"
else
    tap_not_ok "kickstart: %post shell untouched" "lines of the template's %post not found verbatim:" "$missing"
fi

# What the operator sees: dhcpd/tftpd-style log lines from the control process.
if [[ $mode == proxy ]]; then
    tap_contains "dnsmasq handed out 10.77.0.11 to the VM" "$(cat "$BS_TEST_WORK/dnsmasq.leases" 2>&1)" \
        "$BS_VM_MAC 10.77.0.11"
    tap_contains "appliance log: proxyDHCP offer with the $firmware boot file (option 93)" \
        "$applog" "proxyDHCP offer to $BS_VM_MAC via $BS_EXCEPTION_IF (boot file $loader)"
    tap_contains "bootstorm handed out no address" \
        "$("$BS_BUILD_DIR/tools/bootstorm-ctl" leases --config "$config" 2>&1)" "0 lease(s)"
else
    tap_contains "appliance log: DHCPACK on 10.77.0.11 with the $firmware boot file (option 93)" \
        "$applog" "DHCPACK on 10.77.0.11 to $BS_VM_MAC via $BS_EXCEPTION_IF (boot file $loader)"
fi
tap_contains "appliance log: sent $second_stage (the loader's second stage)" "$applog" \
    "sent $second_stage to 10.77.0.11"
if grep -Eq "sent [^ ]*initrd\.img to 10\.77\.0\.11" <<<"$applog"; then
    tap_ok "appliance log: sent initrd.img to 10.77.0.11"
else
    tap_not_ok "appliance log: sent initrd.img to 10.77.0.11" "$(grep -E 'sent|DHCP' <<<"$applog" | tail -n 20)"
fi
bs_test_appliance_alive "appliance still running after the boot"

tap_done
