#!/usr/bin/env bash
# The Debian package, as an operator gets it: dpkg-buildpackage -us -uc -b on a copy of the
# source tree in a temporary directory (no artefact lands in the repo or beside it), lintian
# (no errors), dpkg -i + apt-get -f install, the installed files, systemd-analyze verify on
# the installed units, `bootstorm-ctl setup --dry-run` (changes nothing) and `bootstorm-ctl
# check /etc/bootstorm/bootstorm.toml` from the installed binaries, then dpkg --purge and
# nothing left behind but the bootstorm system user, which Debian keeps.
#
# It installs a package on this machine: only as root, and only with CI=true or
# BS_TEST_PACKAGE=1 (TAP skip otherwise). The build and lintian logs go to
# BUILD_DIR/meson-logs/package/.
# Usage: package.sh BUILD_DIR SOURCE_DIR      (TAP on stdout)
set -uo pipefail
build_dir=$(cd "${1:?build dir}" && pwd)
repo=$(cd "${2:?source dir}" && pwd)
# shellcheck source=tools/lab/tap.sh
source "$repo/tools/lab/tap.sh"

if [[ $(id -u) -ne 0 ]]; then
    echo "1..0 # SKIP needs root (installs and purges the bootstorm package)"
    exit 0
fi
if [[ ${CI:-} != true && ${BS_TEST_PACKAGE:-0} != 1 ]]; then
    echo "1..0 # SKIP installs a package on this machine: runs with CI=true or BS_TEST_PACKAGE=1"
    exit 0
fi

logdir=$build_dir/meson-logs/package
mkdir -p "$logdir"
work=$(mktemp -d "${TMPDIR:-/tmp}/bs-package.XXXXXX")
cleanup() {
    local rc=$?
    rm -rf "$work"
    exit "$rc"
}
trap cleanup EXIT
export DEBIAN_FRONTEND=noninteractive

status_of() {
    local s
    s=$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null) || true
    echo "${s:-not-installed}"
}

if [[ $(status_of bootstorm) != not-installed ]]; then
    if [[ ${CI:-} == true ]]; then
        tap_diag "bootstorm is installed (an earlier run?): purging it first"
        dpkg --purge bootstorm >/dev/null 2>&1 || true
    else
        tap_bail "the bootstorm package is installed on this machine; this test would replace and purge it"
    fi
fi

# --- build ------------------------------------------------------------------------------
version=$(cd "$repo" && dpkg-parsechangelog -S Version)
arch=$(dpkg --print-architecture)
src=$work/bootstorm-$version
mkdir -p "$src"
# The tree as git sees it (tracked and new files, not the ignored build*/ and lab/).
if git -C "$repo" rev-parse --git-dir >/dev/null 2>&1; then
    git -C "$repo" ls-files -z --cached --others --exclude-standard |
        tar -C "$repo" --null -T - --ignore-failed-read -cf - 2>/dev/null | tar -C "$src" -xf -
else
    tar -C "$repo" --exclude='./build*' --exclude=./lab --exclude=./.git -cf - . | tar -C "$src" -xf -
fi
tap_check "copy of the source tree in $work" test -f "$src/debian/control" -a -f "$src/meson.build"

if out=$(cd "$src" && dpkg-checkbuilddeps 2>&1); then
    tap_ok "build dependencies installed (dpkg-checkbuilddeps)"
else
    tap_not_ok "build dependencies installed (dpkg-checkbuilddeps)" "$out" "sudo tools/setup-deps installs them"
    tap_bail "cannot build the package"
fi

start=$SECONDS
if (cd "$src" && DEB_BUILD_OPTIONS="nocheck noddebs parallel=2" dpkg-buildpackage -us -uc -b) >"$logdir/build.log" 2>&1; then
    tap_ok "dpkg-buildpackage -us -uc -b ($((SECONDS - start)) s; log: $logdir/build.log)"
else
    tap_not_ok "dpkg-buildpackage -us -uc -b" "last lines of $logdir/build.log:" "$(tail -n 40 "$logdir/build.log")"
    tap_bail "the package did not build"
fi
deb=$work/bootstorm_${version}_${arch}.deb
changes=$work/bootstorm_${version}_${arch}.changes
tap_check "it made $(basename "$deb")" test -f "$deb"
leftovers=$(cd "$repo" && git status --porcelain --ignored=no 2>/dev/null | grep -E 'obj-|debian/(bootstorm|\.debhelper|tmp|files|debhelper-build-stamp)' || true)
tap_is "no build artefacts in the repository" "$leftovers" ""

# --- lintian ----------------------------------------------------------------------------
rc=0
lintian --fail-on error --tag-display-limit 0 --display-info "$changes" >"$logdir/lintian.log" 2>&1 || rc=$?
if ((rc == 0)); then
    tap_ok "lintian: no errors ($(grep -c '^W: ' "$logdir/lintian.log") warning(s), $(grep -c '^I: ' "$logdir/lintian.log") info)"
else
    tap_not_ok "lintian: no errors" "$(grep -E '^E: ' "$logdir/lintian.log" || cat "$logdir/lintian.log")"
fi
[[ -s $logdir/lintian.log ]] && tap_diag "lintian:" "$(cat "$logdir/lintian.log")"

# --- install ----------------------------------------------------------------------------
# Snapshot of what setup --dry-run must not change: hugepages, NIC drivers, loaded modules.
host_state() {
    cat /sys/kernel/mm/hugepages/hugepages-*/nr_hugepages 2>/dev/null
    for d in /sys/bus/pci/devices/*; do printf '%s %s\n' "${d##*/}" "$(basename "$(readlink "$d/driver" 2>/dev/null)")"; done
    cut -d' ' -f1 /proc/modules 2>/dev/null | sort
    grep hugetlbfs /proc/mounts || true
}
host_state >"$work/host.before"

dpkg -i "$deb" >"$logdir/install.log" 2>&1 || apt-get -f install -y -q >>"$logdir/install.log" 2>&1
tap_is "installed: dpkg -i (+ apt-get -f install)" "$(status_of bootstorm)" installed
if [[ $(status_of bootstorm) != installed ]]; then
    tap_bail "the package did not install" "$(tail -n 30 "$logdir/install.log")"
fi

for f in /usr/bin/bootstorm-dataplane /usr/bin/bootstorm-control /usr/bin/bootstorm-ctl /usr/bin/bootstorm-bench; do
    tap_check "$f installed and runs (--help)" "$f" --help
    missing=$(ldd "$f" 2>&1 | grep 'not found' || true)
    tap_is "$f: every shared library found" "$missing" ""
done
conffiles=$(dpkg-query -W -f='${Conffiles}\n' bootstorm)
for f in /etc/bootstorm/bootstorm.toml /etc/bootstorm/kickstart/centos7.ks /etc/bootstorm/pxelinux-default.menu; do
    tap_contains "$f is a conffile" "$conffiles" "$f "
done
pmd_dirs=(/usr/lib/*/dpdk/pmds-*)
pmds=${pmd_dirs[-1]}
for so in librte_net_tap librte_mempool_ring librte_bus_vdev librte_bus_pci; do
    tap_check "DPDK driver $so is installed (loaded by EAL from $pmds)" test -e "$pmds/$so.so.23"
done
tap_check "system user bootstorm exists (sysusers.d)" getent passwd bootstorm
tap_is "bootstorm has no login shell" "$(getent passwd bootstorm | cut -d: -f7)" /usr/sbin/nologin
tap_is "/var/lib/bootstorm is root:bootstorm 750 (tmpfiles.d)" "$(stat -c '%U:%G %a' /var/lib/bootstorm 2>&1)" "root:bootstorm 750"

units=(/lib/systemd/system/bootstorm-dataplane.service /lib/systemd/system/bootstorm-control.service /lib/systemd/system/bootstorm.target)
for u in "${units[@]}"; do tap_check "unit $u installed" test -f "$u"; done
rc=0
out=$(systemd-analyze verify "${units[@]}" 2>&1) || rc=$?
# verify also reports on units it pulls in (the machine's own); ours must be clean.
ours=$(grep -i bootstorm <<<"$out" || true)
if ((rc == 0)) && [[ -z $ours ]]; then
    tap_ok "systemd-analyze verify on the installed units"
else
    tap_not_ok "systemd-analyze verify on the installed units" "exit status $rc" "$out"
fi
dp=$(systemctl cat bootstorm-dataplane.service 2>/dev/null || cat "${units[0]}")
tap_contains "the dataplane unit is Type=notify" "$dp" "Type=notify"
tap_contains "the dataplane unit runs with group bootstorm (control socket)" "$dp" "Group=bootstorm"
ct=$(cat "${units[1]}")
tap_contains "the control unit runs as bootstorm" "$ct" "User=bootstorm"
tap_contains "the control unit may bind port 80" "$ct" "AmbientCapabilities=CAP_NET_BIND_SERVICE"

# --- the operator's commands, from the installed files -----------------------------------
rc=0
out=$(cd / && bootstorm-ctl check /etc/bootstorm/bootstorm.toml 2>&1) || rc=$?
tap_is "bootstorm-ctl check /etc/bootstorm/bootstorm.toml: exit 0" "$rc" 0
tap_contains "bootstorm-ctl check says ok" "$out" "ok: /etc/bootstorm/bootstorm.toml"

rc=0
out=$(cd / && bootstorm-ctl setup --dry-run 2>&1) || rc=$?
printf '%s\n' "$out" >"$logdir/setup-dry-run.log"
if ((rc == 0 || rc == 1)); then tap_ok "bootstorm-ctl setup --dry-run ran (exit $rc: $( ((rc)) && echo 'problems listed' || echo 'ready'))"; else
    tap_not_ok "bootstorm-ctl setup --dry-run ran" "exit status $rc" "$out"; fi
tap_contains "setup --dry-run reads /etc/bootstorm/bootstorm.toml by default" "$out" "setup: /etc/bootstorm/bootstorm.toml (dry run: nothing is changed)"
tap_contains "setup --dry-run: the shipped port is a vdev, not a NIC" "$out" "a DPDK virtual device (net_af_packet)"
tap_contains "setup --dry-run points at the lab" "$out" "docs/LAB.md"
if ((rc == 1)); then
    tap_contains "setup --dry-run ends with a numbered list of problems" "$out" "problem(s) to fix:"$'\n'"  1. "
fi

# The NIC this machine is reached through, named as the boot NIC: setup must refuse to take it.
dev=$(ip -o route show default 2>/dev/null | awk '{for (i = 1; i < NF; i++) if ($i == "dev") { print $(i + 1); exit }}')
pci=
[[ -n $dev ]] && pci=$(readlink -f "/sys/class/net/$dev" | grep -oE '[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]' | tail -n 1)
if [[ -n $pci ]]; then
    sed -e "s|^port = .*|port = \"$pci\"|" -e 's|^hugepages = false|hugepages = true|' \
        /etc/bootstorm/bootstorm.toml >"$work/pci.toml"
    cp -r /etc/bootstorm/kickstart "$work/"
    rc=0
    out=$(bootstorm-ctl setup --config "$work/pci.toml" --dry-run 2>&1) || rc=$?
    printf '%s\n' "$out" >"$logdir/setup-dry-run-pci.log"
    tap_is "setup --dry-run with port = $pci ($dev, the default route's NIC): exit 1" "$rc" 1
    tap_contains "setup sees that $dev is in use and will not bind it" "$out" "not binding $pci to vfio-pci"
    tap_contains "setup reports $dev's route" "$out" "interface $dev ($pci) is in use by the kernel"
    tap_contains "setup --dry-run sizes hugepages" "$out" "MiB for DPDK"
else
    tap_skip "setup --dry-run with the default route's NIC as port" "no PCI NIC on the default route"
fi
host_state >"$work/host.after"
tap_check "setup --dry-run changed nothing (hugepages, NIC drivers, modules)" diff "$work/host.before" "$work/host.after"

# --- purge ------------------------------------------------------------------------------
dpkg --purge bootstorm >"$logdir/purge.log" 2>&1
tap_is "dpkg --purge bootstorm" "$(status_of bootstorm)" not-installed
left=$(find /etc /lib/systemd /usr/bin /usr/sbin /usr/lib /usr/share/doc /var/lib \
    -path /var/lib/apt -prune -o -name '*bootstorm*' -print 2>/dev/null)
tap_is "nothing left behind (/etc, units, binaries, /usr/lib, docs, /var/lib)" "$left" ""
tap_check "the bootstorm system user stays (Debian keeps system users)" getent passwd bootstorm
tap_done
