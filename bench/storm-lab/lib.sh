# shellcheck shell=bash
# The boot-storm lab: one boot tree, one wire, five kinds of server, one at a time.
# Sourced (after tools/lab/lib.sh) by bench/storm-compare.sh, bench/storm-lab/verify.sh and
# tests/integration/bench_storm.sh. Expects `set -euo pipefail` and root.
#
#   <p>-srv (the server under test)              <p>-bench (the simulated machines)
#   <p>-veth0 10.77.0.1/20 ---------------------- <p>-veth1 (no address; AF_PACKET; the kernel
#   (bootstorm: DPDK net_af_packet on it, the      kept off it by an nftables netdev ingress
#    kernel kept off by nft, 10.77.0.1 on the      drop, table `keepoff`)
#    exception tap <p>0)
#
# Servers (storm_server_start NAME), all at 10.77.0.1, all serving the same boot tree:
#   bootstorm         bootstorm-ctl up with storm_bootstorm_config's TOML: pool 10.77.1.0 -
#                     10.77.15.254, profile "storm" (vmlinuz, initrd.img), its own rendered
#                     pxelinux.cfg/default (bench/storm-lab/bootstorm-default.menu), the
#                     kickstart over its own HTTP (/boot/ks.cfg: the TFTP root over HTTP)
#   dnsmasq           dnsmasq 2.90: DHCP + its own TFTP, --dhcp-boot=pxelinux.0, its defaults
#                     otherwise (ping before offer, tftp-max 50); busybox httpd for ks.cfg
#   kea-tftpd-hpa     kea-dhcp4 2.2 (unpacked; raw sockets, next-server + boot-file-name) +
#                     tftpd-hpa 5.2 (unpacked; in.tftpd -L -s ROOT) + busybox httpd
#   dnsmasq-atftpd    dnsmasq DHCP only (--port=0, no TFTP) + atftpd 0.8 (unpacked; windowsize
#                     as shipped; -m clients + 16 threads, its default 100 would refuse a
#                     200-machine storm) + busybox httpd
# Nothing is installed as a service: Kea, tftpd-hpa and atftpd are unpacked (bs_unpacked).
#
# Environment:
#   BS_STORM_KERNEL_KIB=8192   size of vmlinuz (random bytes, made once per size, cached)
#   BS_STORM_INITRD_KIB=32768  size of initrd.img (likewise)
#   BS_STORM_CLIENTS=200       (atftpd's thread limit is sized from it)
#   BS_STORM_DNSMASQ_ARGS=     extra dnsmasq arguments (both dnsmasq setups), e.g. --tftp-max=300
#   BS_STORM_BOOTSTORM_PORT=   the dataplane's port (default net_af_packet0,iface=<p>-veth0)
#   BS_STORM_BOOTSTORM_EXTRA=  TOML lines appended to bootstorm's config (e.g. "[tftp]..." is
#                              already there: use top-level keys or whole sections)

STORM_LAB_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
STORM_NS_SRV=$BS_NS_SRV
STORM_NS_BENCH=$BS_LAB_PREFIX-bench
STORM_IF_SRV=$BS_VETH_SRV
STORM_IF_BENCH=$BS_VETH_CLI
STORM_SERVER=$BS_SERVER_IP
STORM_LEN=20
STORM_MASK=255.255.240.0
STORM_SUBNET=10.77.0.0
STORM_POOL_FIRST=10.77.1.0
STORM_POOL_LAST=10.77.15.254
STORM_HTTP_PORT=80
STORM_KERNEL_KIB=${BS_STORM_KERNEL_KIB:-8192}
STORM_INITRD_KIB=${BS_STORM_INITRD_KIB:-32768}
STORM_SERVERS_ALL="bootstorm dnsmasq kea-tftpd-hpa dnsmasq-atftpd"
# The boot loader files every server serves (Debian's pxelinux and syslinux-common).
STORM_LOADERS=(/usr/lib/PXELINUX/pxelinux.0
    /usr/lib/syslinux/modules/bios/{ldlinux.c32,menu.c32,libutil.c32,libcom32.c32})

storm_say() { printf '[storm-lab] %s\n' "$*" >&2; }

# --- the boot tree -----------------------------------------------------------------------
# storm_tree: build the boot tree once (per kernel/initrd size) under $BS_CACHE_DIR/storm and
# set STORM_TREE to it. Contents: the loaders, vmlinuz and initrd.img (seeded random bytes:
# the same on every machine for the same sizes), ks.cfg, and pxelinux.cfg/default for the peers
# (UI menu.c32, one LABEL: KERNEL vmlinuz, APPEND initrd=initrd.img ks=http://10.77.0.1:80/ks.cfg).
# bootstorm renders its own pxelinux.cfg/default (a virtual file that shadows the tree's).
storm_tree() {
    local dir=$BS_CACHE_DIR/storm/tree-k${STORM_KERNEL_KIB}-i${STORM_INITRD_KIB} src tmp
    for src in "${STORM_LOADERS[@]}"; do
        [[ -f $src ]] || bs_die "$src missing (apt-get install pxelinux syslinux-common: tools/setup-deps)"
    done
    if [[ ! -f $dir/.complete ]] || ! storm_tree_loaders_current "$dir"; then
        storm_say "building the boot tree in $dir (vmlinuz $STORM_KERNEL_KIB KiB, initrd.img $STORM_INITRD_KIB KiB)"
        mkdir -p "$BS_CACHE_DIR/storm"
        tmp=$(mktemp -d "$BS_CACHE_DIR/storm/.tree.XXXXXX")
        for src in "${STORM_LOADERS[@]}"; do install -m 0644 "$src" "$tmp/"; done
        # Seeded, so two machines (or a rebuilt cache) serve the same bytes.
        python3 - "$tmp" "$STORM_KERNEL_KIB" "$STORM_INITRD_KIB" <<'PY'
import random, sys
d, k, i = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for name, kib, seed in (("vmlinuz", k, 8), ("initrd.img", i, 32)):
    r = random.Random(f"bootstorm-storm-{name}-{seed}")
    with open(f"{d}/{name}", "wb") as f:
        left = kib * 1024
        while left:
            n = min(left, 1 << 20)
            f.write(r.randbytes(n))
            left -= n
PY
        install -m 0644 "$STORM_LAB_SRC/ks.cfg" "$tmp/ks.cfg"
        mkdir -p "$tmp/pxelinux.cfg"
        sed -e "s|@SERVER@|$STORM_SERVER|g" -e "s|@HTTP_PORT@|$STORM_HTTP_PORT|g" \
            "$STORM_LAB_SRC/pxelinux-default.cfg" >"$tmp/pxelinux.cfg/default"
        chmod 0755 "$tmp" "$tmp/pxelinux.cfg"
        chmod 0644 "$tmp"/vmlinuz "$tmp"/initrd.img "$tmp/pxelinux.cfg/default"
        touch "$tmp/.complete"
        rm -rf "$dir"
        mv "$tmp" "$dir"
    fi
    # The text files follow the sources in bench/storm-lab (cheap to refresh every time).
    cmp -s "$STORM_LAB_SRC/ks.cfg" "$dir/ks.cfg" || install -m 0644 "$STORM_LAB_SRC/ks.cfg" "$dir/ks.cfg"
    sed -e "s|@SERVER@|$STORM_SERVER|g" -e "s|@HTTP_PORT@|$STORM_HTTP_PORT|g" \
        "$STORM_LAB_SRC/pxelinux-default.cfg" >"$dir/pxelinux.cfg/default.new"
    if cmp -s "$dir/pxelinux.cfg/default.new" "$dir/pxelinux.cfg/default"; then
        rm -f "$dir/pxelinux.cfg/default.new"
    else
        chmod 0644 "$dir/pxelinux.cfg/default.new"
        mv "$dir/pxelinux.cfg/default.new" "$dir/pxelinux.cfg/default"
    fi
    STORM_TREE=$dir
    # Every server reads the tree as its own user (tftpd-hpa drops to nobody): a readable path.
    local p=$dir
    while [[ $p != / ]]; do
        [[ $(stat -c %A "$p") == d??????r?x ]] || storm_say "warning: $p is not world-readable: tftpd-hpa (nobody) may not read the tree"
        p=$(dirname "$p")
    done
}
storm_tree_loaders_current() {
    local src
    for src in "${STORM_LOADERS[@]}"; do cmp -s "$src" "$1/$(basename "$src")" || return 1; done
}

# --- the wire ------------------------------------------------------------------------------
# storm_lab_up [keepoff]: namespaces <p>-srv and <p>-bench joined by a veth (<p>-veth0 ::
# <p>-veth1), transmit checksum offload off on both ends (bs_veth). With "keepoff" (the storm),
# the kernel is kept off <p>-veth1 by an nftables netdev ingress drop: the simulated machines
# own that wire through AF_PACKET, which sees frames before the hook; without it (verify.sh),
# real clients run in <p>-bench on <p>-veth1.
storm_lab_up() {
    bs_ns_add "$STORM_NS_SRV"
    bs_ns_add "$STORM_NS_BENCH"
    bs_veth "$STORM_NS_SRV" "$STORM_IF_SRV" "$STORM_NS_BENCH" "$STORM_IF_BENCH"
    # the bench's frames are large bursts: a deeper queue on the server side's veth
    ip -n "$STORM_NS_SRV" link set "$STORM_IF_SRV" txqueuelen 10000
    ip -n "$STORM_NS_BENCH" link set "$STORM_IF_BENCH" txqueuelen 10000
    if [[ ${1:-} == keepoff ]]; then
        storm_keepoff "$STORM_NS_BENCH" "$STORM_IF_BENCH"
    fi
}
storm_lab_down() {
    bs_ns_del "$STORM_NS_BENCH"
    bs_ns_del "$STORM_NS_SRV"
}
# storm_keepoff NS IF / storm_keepoff_del NS: the netdev ingress drop on IF (table keepoff).
storm_keepoff() {
    ip netns exec "$1" nft list table netdev keepoff >/dev/null 2>&1 && return 0
    ip netns exec "$1" nft -f - <<NFT
table netdev keepoff {
    chain in {
        type filter hook ingress device "$2" priority 0; policy accept;
        drop
    }
}
NFT
}
storm_keepoff_del() { ip netns exec "$1" nft delete table netdev keepoff 2>/dev/null || true; }

# The server side's wiring: bootstorm owns <p>-veth0 through DPDK (kernel kept off, no address
# on it; 10.77.0.1 lives on the exception tap); the peers are kernel daemons with 10.77.0.1/20
# on <p>-veth0.
storm_wire_dpdk() {
    ip -n "$STORM_NS_SRV" addr flush dev "$STORM_IF_SRV"
    storm_keepoff "$STORM_NS_SRV" "$STORM_IF_SRV"
}
storm_wire_kernel() {
    storm_keepoff_del "$STORM_NS_SRV"
    ip -n "$STORM_NS_SRV" addr replace "$STORM_SERVER/$STORM_LEN" dev "$STORM_IF_SRV"
    # no stale neighbours from the previous server's run
    ip -n "$STORM_NS_SRV" neigh flush dev "$STORM_IF_SRV" 2>/dev/null || true
}

# --- the servers ---------------------------------------------------------------------------
# storm_bootstorm_config OUT: bootstorm's TOML for the storm (see the header).
storm_bootstorm_config() {
    local out=$1 port=${BS_STORM_BOOTSTORM_PORT:-net_af_packet0,iface=$STORM_IF_SRV}
    cat >"$out" <<EOF
# bootstorm for the boot-storm lab (bench/storm-lab/lib.sh: storm_bootstorm_config).
# Machines without a reservation boot pxelinux.cfg/default, rendered from default_menu: the
# storm's profile with a kickstart URL (see bootstorm-default.menu for why it is a static file).
default_menu = "$STORM_LAB_SRC/bootstorm-default.menu"

[server]
address = "$STORM_SERVER/$STORM_LEN"
port = "$port"
exception = "$BS_EXCEPTION_IF"
hugepages = false
state_dir = "$BS_STATE_DIR"
http_port = $STORM_HTTP_PORT
file_prefix = "bootstorm-$BS_LAB_PREFIX"

[dhcp]
lease_time = "1h"
authoritative = true

[[dhcp.pool]]
subnet = "$STORM_SUBNET/$STORM_LEN"
range = ["$STORM_POOL_FIRST", "$STORM_POOL_LAST"]
router = "$STORM_SERVER"

[tftp]
root = "$STORM_TREE"

[boot]
bios = "pxelinux.0"

[[profile]]
name = "storm"
kernel = "vmlinuz"
initrd = "initrd.img"
append = "ip=dhcp"
${BS_STORM_BOOTSTORM_EXTRA:-}
EOF
}

STORM_PIDS=()      # process groups (setsid leaders) of the running peer server
STORM_SERVER_NAME=
STORM_SERVER_WORK=

# storm_server_start NAME WORKDIR: start server NAME (see the header) in <p>-srv; returns once
# it answers (bootstorm: ready per bs_appliance_wait_ready; peers: listening on 67, 69, 80).
# Logs and configs go to WORKDIR/NAME/.
storm_server_start() {
    local name=$1 d=$2/$1
    rm -rf "$d"
    mkdir -p "$d"
    STORM_SERVER_NAME=$name
    STORM_SERVER_WORK=$d
    [[ -n ${STORM_TREE:-} ]] || storm_tree
    case $name in
    bootstorm)
        storm_wire_dpdk
        storm_bootstorm_config "$d/bootstorm.toml"
        rm -rf "$BS_STATE_DIR"
        mkdir -p "$BS_STATE_DIR"
        bs_appliance_start "$d/appliance.log" "" "$d/bootstorm.toml"
        bs_appliance_wait_ready 90 || { tail -n 30 "$d/appliance.log" >&2; bs_die "bootstorm did not come up (log $d/appliance.log)"; }
        return 0
        ;;
    dnsmasq)
        storm_wire_kernel
        storm_dnsmasq "$d" --enable-tftp --tftp-root="$STORM_TREE"
        storm_httpd "$d"
        storm_wait_ports "$name" 67 69 80
        ;;
    kea-tftpd-hpa)
        storm_wire_kernel
        storm_kea "$d"
        storm_tftpd_hpa "$d"
        storm_httpd "$d"
        storm_wait_ports "$name" 67 69 80
        ;;
    dnsmasq-atftpd)
        storm_wire_kernel
        storm_dnsmasq "$d"
        storm_atftpd "$d"
        storm_httpd "$d"
        storm_wait_ports "$name" 67 69 80
        ;;
    *) bs_die "unknown server '$name' (known: $STORM_SERVERS_ALL)" ;;
    esac
}

storm_server_stop() {
    local pid i
    if [[ $STORM_SERVER_NAME == bootstorm ]]; then
        bs_appliance_stop
    fi
    for pid in "${STORM_PIDS[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
    for pid in "${STORM_PIDS[@]}"; do
        for ((i = 0; i < 30; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL -- "-$pid" 2>/dev/null || true  # tftpd-hpa's and httpd's children
        wait "$pid" 2>/dev/null || true
    done
    STORM_PIDS=()
    STORM_SERVER_NAME=
}

# storm_bg LOG CMD...: CMD in <p>-srv, in a process group of its own, recorded in STORM_PIDS.
storm_bg() {
    local log=$1
    shift
    setsid ip netns exec "$STORM_NS_SRV" "$@" </dev/null >>"$log" 2>&1 &
    STORM_PIDS+=($!)
}

# storm_dnsmasq DIR [ARGS...]: dnsmasq's DHCP (no DNS: --port=0), its own defaults otherwise
# (ping before offer included); ARGS add its TFTP. --dhcp-boot without a server address puts
# its own address (10.77.0.1) into siaddr.
storm_dnsmasq() {
    local d=$1 extra=()
    shift
    read -r -a extra <<<"${BS_STORM_DNSMASQ_ARGS:-}"
    storm_bg "$d/dnsmasq.out" dnsmasq --keep-in-foreground --conf-file=/dev/null --port=0 \
        --interface="$STORM_IF_SRV" --bind-interfaces --user=root --group=root \
        --dhcp-range="$STORM_POOL_FIRST,$STORM_POOL_LAST,$STORM_MASK,1h" \
        --dhcp-boot=pxelinux.0 --dhcp-leasefile="$d/dnsmasq.leases" --pid-file="$d/dnsmasq.pid" \
        --log-facility="$d/dnsmasq.log" "$@" "${extra[@]}"
}

storm_kea() {
    local d=$1 kea
    kea=$(bs_unpacked kea-dhcp4-server /usr/sbin/kea-dhcp4 kea-common)
    # raw sockets (Kea's default): it answers clients that have no address yet, as PXE needs.
    cat >"$d/kea-dhcp4.json" <<JSON
{ "Dhcp4": {
    "interfaces-config": { "interfaces": [ "$STORM_IF_SRV" ] },
    "lease-database": { "type": "memfile", "persist": true, "name": "$d/kea-leases4.csv" },
    "valid-lifetime": 3600,
    "subnet4": [ { "id": 1, "subnet": "$STORM_SUBNET/$STORM_LEN",
        "pools": [ { "pool": "$STORM_POOL_FIRST - $STORM_POOL_LAST" } ],
        "next-server": "$STORM_SERVER",
        "boot-file-name": "pxelinux.0",
        "option-data": [ { "name": "routers", "data": "$STORM_SERVER" } ] } ],
    "loggers": [ { "name": "kea-dhcp4", "severity": "INFO",
        "output_options": [ { "output": "$d/kea-dhcp4.log" } ] } ]
} }
JSON
    KEA_PIDFILE_DIR=$d KEA_LOCKFILE_DIR=$d KEA_LFC_EXECUTABLE=/bin/true \
        storm_bg "$d/kea.out" "$kea" -c "$d/kea-dhcp4.json"
}

storm_tftpd_hpa() {
    local d=$1 tftpd
    tftpd=$(bs_unpacked tftpd-hpa /usr/sbin/in.tftpd)
    # -L: foreground; -s: chroot into the root (then it runs as nobody); blksize as shipped.
    storm_bg "$d/tftpd-hpa.out" "$tftpd" -L -s -a "$STORM_SERVER:69" "$STORM_TREE"
}

storm_atftpd() {
    local d=$1 atftpd
    atftpd=$(bs_unpacked atftpd /usr/sbin/atftpd)
    storm_bg "$d/atftpd.out" "$atftpd" --daemon --no-fork --logfile "$d/atftpd.log" \
        --user root --group root --bind-address "$STORM_SERVER" --port 69 \
        -m $((${BS_STORM_CLIENTS:-200} + 16)) "$STORM_TREE"
}

# storm_httpd DIR: busybox httpd serving the tree (ks.cfg) on 10.77.0.1:80, in the foreground.
storm_httpd() {
    local bb
    bb=$(command -v busybox || true)
    [[ -n $bb ]] || bb=$(dpkg -L busybox-static 2>/dev/null | grep -m1 '/bin/busybox$') ||
        bs_die "busybox missing (busybox-static: tools/setup-deps)"
    storm_bg "$1/httpd.out" "$bb" httpd -f -p "$STORM_SERVER:$STORM_HTTP_PORT" -h "$STORM_TREE"
}

# storm_wait_ports NAME PORT...: until something listens on each (UDP or TCP) in <p>-srv.
storm_wait_ports() {
    local name=$1 port i pid
    shift
    for port in "$@"; do
        for ((i = 0; i < 100; i++)); do
            ip netns exec "$STORM_NS_SRV" ss -Hltun "sport = :$port" | grep -q . && break
            for pid in "${STORM_PIDS[@]}"; do
                kill -0 "$pid" 2>/dev/null ||
                    bs_die "$name: a server exited at start: $(tail -n 5 "$STORM_SERVER_WORK"/*.out "$STORM_SERVER_WORK"/*.log 2>/dev/null)"
            done
            sleep 0.1
        done
        ((i < 100)) || bs_die "$name: nothing listens on port $port"
    done
    # Kea opens its raw socket a moment after port 67's UDP socket: give it that moment.
    sleep 0.5
}

# storm_versions: one line per server component, "name version" (dpkg-query / unpacked).
storm_versions() {
    v() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo '?'; }
    echo "dnsmasq-base $(v dnsmasq-base)"
    echo "kea-dhcp4-server $(cat "$BS_CACHE_DIR/debs/kea-dhcp4-server/version" 2>/dev/null || echo '?') (unpacked; kea-common $(v kea-common))"
    echo "tftpd-hpa $(cat "$BS_CACHE_DIR/debs/tftpd-hpa/version" 2>/dev/null || echo '?') (unpacked)"
    echo "atftpd $(cat "$BS_CACHE_DIR/debs/atftpd/version" 2>/dev/null || echo '?') (unpacked)"
    echo "busybox-static $(v busybox-static) (httpd)"
    echo "pxelinux $(v pxelinux), syslinux-common $(v syslinux-common)"
    echo "dpdk $(pkg-config --modversion libdpdk 2>/dev/null || echo '?')"
}
