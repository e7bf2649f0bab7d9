#!/usr/bin/env bash
# End to end: a QEMU VM (TCG) PXE-boots through the appliance in the lab, with BIOS firmware
# (SeaBIOS + iPXE's e1000 ROM -> pxelinux.0) or UEFI (OVMF + iPXE's EFI e1000 driver ->
# syslinux.efi): DHCP (the boot file chosen by option 93), the boot loader, its
# pxelinux.cfg/01-<mac>, the Debian kernel and the lab's initramfs, which takes a lease,
# fetches its kickstart over HTTP and prints it. TAP.
# Usage: pxe_boot.sh BUILD_DIR SOURCE_DIR bios|uefi
set -euo pipefail
# shellcheck source=tools/lab/tap.sh
source "$(cd "${2:?source dir}" && pwd)/tools/lab/tap.sh"
firmware=${3:?firmware: bios or uefi}
bs_test_begin "$1" "$2"
BS_TEST_NAME=pxe-boot-$firmware  # one log per firmware
case $firmware in
bios) loader=pxelinux.0 second_stage=ldlinux.c32 ;;
uefi) loader=syslinux.efi second_stage=ldlinux.e64 ;;
*) tap_bail "firmware must be bios or uefi, not '$firmware'" ;;
esac

vmlog=$BS_TEST_LOGDIR/$BS_TEST_NAME.vm.log
bs_test_appliance_up

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
tap_contains "appliance log: DHCPACK on 10.77.0.11 with the $firmware boot file (option 93)" \
    "$applog" "DHCPACK on 10.77.0.11 to $BS_VM_MAC via $BS_EXCEPTION_IF (boot file $loader)"
tap_contains "appliance log: sent $second_stage (the loader's second stage)" "$applog" \
    "sent $second_stage to 10.77.0.11"
if grep -Eq "sent [^ ]*initrd\.img to 10\.77\.0\.11" <<<"$applog"; then
    tap_ok "appliance log: sent initrd.img to 10.77.0.11"
else
    tap_not_ok "appliance log: sent initrd.img to 10.77.0.11" "$(grep -E 'sent|DHCP' <<<"$applog" | tail -n 20)"
fi
bs_test_appliance_alive "appliance still running after the boot"

tap_done
