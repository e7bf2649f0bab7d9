# shellcheck shell=bash
# Shared helpers for the bootstorm lab: names, paths, logging, the appliance's lifecycle.
# Sourced by tools/lab/*, tools/demo, tools/run-tests and tests/{integration,e2e}/*.sh.
# Expects the caller to run with `set -euo pipefail`.
# shellcheck disable=SC2034  # the names are used by the scripts that source this file

BS_REPO=${BS_REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BS_LAB_DIR=${BS_LAB_DIR:-$BS_REPO/lab}
BS_BUILD_DIR=${BS_BUILD_DIR:-$BS_REPO/build}

# Topology (docs/LAB.md draws it). BS_LAB_PREFIX (default bs) names every namespace and
# interface, so two labs can run side by side (each with its own state dir and config; they
# share the boot payload and TFTP root).
BS_LAB_PREFIX=${BS_LAB_PREFIX:-bs}
_p=$BS_LAB_PREFIX
[[ $_p =~ ^[a-z][a-z0-9]{0,5}$ ]] || { echo "[lab] error: BS_LAB_PREFIX must be 1-6 lower-case letters/digits, starting with a letter (got '$_p')" >&2; exit 1; }
BS_NS_SRV=$_p-srv         # the appliance: DPDK on $_p-veth0, exception tap ${_p}0
BS_NS_CLI=$_p-cli         # the client side: bridge, QEMU's tap
BS_NS_C0=$_p-c0           # a plain client namespace for udhcpc/tftp/curl
BS_VETH_SRV=$_p-veth0
BS_VETH_CLI=$_p-veth1
BS_BRIDGE=$_p-br0
BS_TAP=$_p-tap0
BS_C0_IF=$_p-c0           # the client's interface inside namespace $_p-c0
BS_C0_PEER=$_p-c0p        # its peer, enslaved to the bridge in $_p-cli
BS_C0_MAC=02:42:0a:4d:00:c0   # fixed (locally administered, not reserved: gets a pool lease)
BS_EXCEPTION_IF=${_p}0    # created by the dataplane itself
BS_SERVER_IP=10.77.0.1
BS_VM_MAC=52:54:00:12:34:56

BS_TFTP_ROOT=$BS_LAB_DIR/tftp
BS_CACHE_DIR=$BS_LAB_DIR/cache
if [[ $_p == bs ]]; then
    BS_STATE_DIR=$BS_LAB_DIR/state
    BS_CONFIG=$BS_LAB_DIR/bootstorm.toml
else
    BS_STATE_DIR=$BS_LAB_DIR/state.$_p
    BS_CONFIG=$BS_LAB_DIR/bootstorm.$_p.toml
fi
unset _p

bs_log() { printf '[lab] %s\n' "$*" >&2; }
bs_die() { printf '[lab] error: %s\n' "$*" >&2; exit 1; }

bs_require_root() {
    [[ $(id -u) -eq 0 ]] || bs_die "$(basename "$0") must run as root (network namespaces, QEMU tap): try sudo $0"
}

bs_have_ns() { ip netns list 2>/dev/null | awk '{print $1}' | grep -qx -- "$1"; }

# --- the appliance --------------------------------------------------------------------
# bs_appliance_start LOGFILE [PREFIX] [CONFIG]: start `bootstorm-ctl up` in bs-srv in the
# background, with CONFIG (default $BS_CONFIG, the lab config). Its output goes to LOGFILE; with
# PREFIX (may be empty) it is also streamed to stderr, each line prefixed.
# Sets BS_APPLIANCE_PID. Stop it with bs_appliance_stop.
BS_APPLIANCE_PID=
BS_APPLIANCE_TAIL_PID=
bs_appliance_start() {
    local logfile=$1 prefix=${2:-} config=${3:-$BS_CONFIG}
    local ctl=$BS_BUILD_DIR/tools/bootstorm-ctl
    [[ -x $ctl ]] || bs_die "$ctl not built (meson compile -C $BS_BUILD_DIR)"
    [[ -f $config ]] || bs_die "$config missing: run tools/lab/payload first"
    bs_have_ns "$BS_NS_SRV" || bs_die "namespace $BS_NS_SRV missing: run tools/lab/net up first"
    : >"$logfile"
    # setsid: own process group, so stopping it cannot touch the caller's group.
    setsid ip netns exec "$BS_NS_SRV" "$ctl" up --config "$config" >>"$logfile" 2>&1 </dev/null &
    BS_APPLIANCE_PID=$!
    if [[ -n $prefix ]]; then
        tail -n +1 -F --pid="$BS_APPLIANCE_PID" "$logfile" 2>/dev/null | sed -u "s/^/$prefix /" >&2 &
        BS_APPLIANCE_TAIL_PID=$!
    fi
}

# bs_appliance_wait_ready [TIMEOUT]: wait until the dataplane has created bs0 with the
# appliance address, the control process answers HTTP on it and the dataplane has applied a
# snapshot (/status generation.applied), so DHCP is served.
bs_appliance_wait_ready() {
    local timeout=${1:-60} i
    for ((i = 0; i < timeout * 2; i++)); do
        if [[ -n $BS_APPLIANCE_PID ]] && ! kill -0 "$BS_APPLIANCE_PID" 2>/dev/null; then
            bs_log "the appliance exited before it was ready"
            return 1
        fi
        if ip netns exec "$BS_NS_SRV" ip -4 addr show dev "$BS_EXCEPTION_IF" 2>/dev/null |
            grep -q "inet $BS_SERVER_IP/"; then
            # HTTP comes up in the control process, possibly a moment later; the dataplane
            # serves DHCP once it has applied the control process's first snapshot (before,
            # requests are dropped as dhcp_no_snapshot).
            if ip netns exec "$BS_NS_SRV" curl -s -o /dev/null --max-time 1 \
                "http://$BS_SERVER_IP/" 2>/dev/null &&
                (($(bs_status_get "$(bs_appliance_status || true)" generation.applied) > 0)); then
                return 0
            fi
        fi
        sleep 0.5
    done
    bs_log "the appliance was not ready after ${timeout}s ($BS_EXCEPTION_IF without $BS_SERVER_IP, no HTTP, or no snapshot applied)"
    return 1
}

bs_appliance_stop() {
    local pid=$BS_APPLIANCE_PID i
    if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        for ((i = 0; i < 40; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.25
        done
        if kill -0 "$pid" 2>/dev/null; then
            bs_log "appliance (pid $pid) ignored SIGTERM for 10s; killing its process group"
            kill -KILL -- "-$pid" 2>/dev/null || true
        fi
        wait "$pid" 2>/dev/null || true
    fi
    BS_APPLIANCE_PID=
    if [[ -n $BS_APPLIANCE_TAIL_PID ]]; then
        kill "$BS_APPLIANCE_TAIL_PID" 2>/dev/null || true
        wait "$BS_APPLIANCE_TAIL_PID" 2>/dev/null || true
        BS_APPLIANCE_TAIL_PID=
    fi
}

# --- extra namespaces -------------------------------------------------------------------
# Tests and benches that need more than the three lab namespaces (a peer server, a relay, a
# rack behind it) make them with these helpers, named $BS_LAB_PREFIX-<name>. Each is recorded
# in $BS_LAB_DIR/extra-ns.$BS_LAB_PREFIX, so `tools/lab/net down` removes it even when the
# script that made it was killed before its own cleanup ran.
BS_EXTRA_NS_LIST=$BS_LAB_DIR/extra-ns.$BS_LAB_PREFIX

# bs_ns_del NS: stop what runs in NS (by pid: TERM, then KILL) and delete it. No-op if absent.
bs_ns_del() {
    local ns=$1 pids pid i
    if bs_have_ns "$ns"; then
        pids=$(ip netns pids "$ns" 2>/dev/null || true)
        if [[ -n $pids ]]; then
            for pid in $pids; do kill -TERM "$pid" 2>/dev/null || true; done
            for ((i = 0; i < 20; i++)); do
                [[ -z $(ip netns pids "$ns" 2>/dev/null) ]] && break
                sleep 0.1
            done
            for pid in $(ip netns pids "$ns" 2>/dev/null || true); do kill -KILL "$pid" 2>/dev/null || true; done
        fi
        ip netns del "$ns" 2>/dev/null || true
    fi
    if [[ -f $BS_EXTRA_NS_LIST ]]; then
        grep -vx -- "$ns" "$BS_EXTRA_NS_LIST" >"$BS_EXTRA_NS_LIST.$$" || true
        mv "$BS_EXTRA_NS_LIST.$$" "$BS_EXTRA_NS_LIST"
    fi
}

# bs_ns_add NS: a fresh namespace NS (a stale one of that name is deleted first), loopback up,
# IPv6 off (as in the lab's own namespaces), recorded for `net down`.
bs_ns_add() {
    local ns=$1
    [[ $ns == "$BS_LAB_PREFIX"-* ]] || bs_die "bs_ns_add: '$ns' does not start with $BS_LAB_PREFIX-"
    bs_ns_del "$ns"
    mkdir -p "$BS_LAB_DIR"
    echo "$ns" >>"$BS_EXTRA_NS_LIST"
    ip netns add "$ns"
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    ip -n "$ns" link set lo up
}

# bs_veth NS_A IF_A NS_B IF_B: a veth pair between two namespaces, both ends up, transmit
# checksum offload off on both (docs/LAB.md: a veth leaves UDP checksums to an offload that
# never happens; DPDK and ISC's packet-socket daemons would see bad sums).
bs_veth() {
    ip -n "$1" link add "$2" type veth peer name "$4" netns "$3"
    ip -n "$1" link set "$2" up
    ip -n "$3" link set "$4" up
    ip netns exec "$1" ethtool -K "$2" tx off >/dev/null
    ip netns exec "$3" ethtool -K "$4" tx off >/dev/null
}

# bs_peer_add NAME ADDR/LEN: a namespace $BS_LAB_PREFIX-NAME on the lab's boot network: its
# interface (also named $BS_LAB_PREFIX-NAME) holds ADDR/LEN, its peer ($BS_LAB_PREFIX-NAMEb)
# is a port of the bridge in $BS_NS_CLI. NAME: up to 7 characters (interface names <= 15).
# Sets BS_PEER_NS and BS_PEER_IF. Remove it with bs_ns_del "$BS_PEER_NS" (or `net down`).
bs_peer_add() {
    local name=$1 addr=$2
    local ns=$BS_LAB_PREFIX-$name
    ((${#ns} + 1 <= 15)) || bs_die "bs_peer_add: '$name' too long (interface $ns""b over 15 characters)"
    bs_have_ns "$BS_NS_CLI" || bs_die "namespace $BS_NS_CLI missing: run tools/lab/net up first"
    bs_ns_add "$ns"
    ip -n "$BS_NS_CLI" link del "${ns}b" 2>/dev/null || true  # left by a killed run
    bs_veth "$ns" "$ns" "$BS_NS_CLI" "${ns}b"
    ip -n "$BS_NS_CLI" link set "${ns}b" master "$BS_BRIDGE"
    ip -n "$ns" addr add "$addr" dev "$ns"
    BS_PEER_NS=$ns
    BS_PEER_IF=$ns
}

# --- unpacked packages ------------------------------------------------------------------
# bs_unpacked PKG FILE [MATCH_PKG]: print the path of FILE (e.g. /usr/sbin/kea-dhcp4) from the
# Debian package PKG, unpacked into $BS_CACHE_DIR/debs/PKG (apt-get download + dpkg -x) and
# never installed: daemons such as kea-dhcp4-server and isc-dhcp-relay would otherwise be
# enabled and started as host services (and kea-dhcp4 confined by its AppArmor profile). Its
# libraries must be installed (tools/setup-deps). With MATCH_PKG, the unpacked version is kept
# equal to that installed package's (kea-dhcp4-server must match kea-common's libraries).
# Downloads once; reruns are offline.
bs_unpacked() {
    local pkg=$1 file=$2 match=${3:-} want='' dir=$BS_CACHE_DIR/debs/$1 tmp
    if [[ -n $match ]]; then
        want=$(dpkg-query -W -f='${Version}' "$match" 2>/dev/null) ||
            bs_die "$match is not installed (tools/setup-deps)"
    fi
    if [[ ! -x $dir/root$file || (-n $want && $(cat "$dir/version" 2>/dev/null) != "$want") ]]; then
        bs_log "fetching $pkg${want:+ $want} (apt-get download + dpkg -x into $dir; not installed)"
        mkdir -p "$BS_CACHE_DIR/debs"
        tmp=$(mktemp -d "$BS_CACHE_DIR/debs/.$pkg.XXXXXX")
        if ! (cd "$tmp" && apt-get download -q "$pkg${want:+=$want}" >/dev/null 2>&1); then
            (cd "$tmp" && apt-get update -q >/dev/null && apt-get download -q "$pkg${want:+=$want}" >/dev/null 2>&1) ||
                { rm -rf "$tmp"; bs_die "cannot download $pkg${want:+=$want}"; }
        fi
        dpkg -x "$tmp"/*.deb "$tmp/root"
        dpkg-deb -f "$tmp"/*.deb Version >"$tmp/version"
        rm -f "$tmp"/*.deb
        [[ -x $tmp/root$file ]] || { rm -rf "$tmp"; bs_die "$pkg has no $file"; }
        rm -rf "$dir"
        mv "$tmp" "$dir"
    fi
    echo "$dir/root$file"
}

# --- config variants and counters -------------------------------------------------------
# bs_config_variant OUT SED_EXPR...: $BS_CONFIG with each sed -E expression applied, into OUT;
# dies when an expression changed nothing (the lab config no longer looks as expected). Template
# paths (kickstart, default_menu), relative to the config's directory, are made absolute, so OUT
# may live anywhere (a test's work dir).
bs_config_variant() {
    local out=$1 expr
    shift
    sed -E "s|^([[:space:]]*(kickstart\|default_menu)[[:space:]]*=[[:space:]]*\")([^/\"][^\"]*)\"|\1$BS_LAB_DIR/\3\"|" \
        "$BS_CONFIG" >"$out.tmp"
    for expr in "$@"; do
        sed -E -e "$expr" "$out.tmp" >"$out.tmp2"
        ! cmp -s "$out.tmp" "$out.tmp2" || bs_die "config variant: '$expr' changed nothing in $BS_CONFIG"
        mv "$out.tmp2" "$out.tmp"
    done
    mv "$out.tmp" "$out"
}

# The wide boot network of the DHCP load tests: 10.77.0.0/20, the appliance 10.77.0.1/20, pool
# 10.77.1.0 - 10.77.15.254 (3839 addresses: room for perfdhcp's 1000+ clients; the lab's /24
# has 101). Clients of it use addresses in 10.77.0.2-99.
BS_WIDE_LEN=20
BS_WIDE_FIRST=10.77.1.0
BS_WIDE_LAST=10.77.15.254
bs_config_wide() {
    bs_config_variant "$1" \
        "s|^(address[[:space:]]*=[[:space:]]*\"$BS_SERVER_IP)/24\"|\1/$BS_WIDE_LEN\"|" \
        "s|^(subnet[[:space:]]*=[[:space:]]*\"10\.77\.0\.0)/24\"|\1/$BS_WIDE_LEN\"|" \
        "s|^(range[[:space:]]*=[[:space:]]*)\[[^]]*\]|\1[\"$BS_WIDE_FIRST\", \"$BS_WIDE_LAST\"]|"
}

# bs_appliance_status: the control process's /status (JSON), over HTTP inside $BS_NS_SRV.
bs_appliance_status() {
    ip netns exec "$BS_NS_SRV" curl -sf --max-time 3 "http://$BS_SERVER_IP/status"
}

# bs_status_get JSON KEY...: from /status JSON, the first of the dotted KEYs present (e.g.
# dataplane.stats.counters.dhcp_acks events.dhcp_ack); prints 0 when none is.
bs_status_get() {
    python3 -c '
import json, sys
j = json.loads(sys.argv[1] or "{}")
for key in sys.argv[2:]:
    v = j
    for k in key.split("."):
        v = v.get(k) if isinstance(v, dict) else None
    if v is not None:
        print(v)
        break
else:
    print(0)' "$@"
}

_bs_dhcp_progress() {
    echo "$(bs_status_get "$1" dataplane.stats.counters.dhcp_requests)/$(bs_status_get "$1" dataplane.stats.counters.dhcp_replies)/$(bs_status_get "$1" events.dhcp_ack)"
}
# bs_appliance_status_settled [TIMEOUT]: /status once the dataplane's counters have stopped
# moving (the dataplane reports them every second): two reports 1.5 s apart agree.
bs_appliance_status_settled() {
    local timeout=${1:-20} a b i
    a=$(bs_appliance_status || true)
    for ((i = 0; i < timeout; i++)); do
        sleep 1.5
        b=$(bs_appliance_status || true)
        if [[ -n $b && $(_bs_dhcp_progress "$a") == $(_bs_dhcp_progress "$b") ]]; then
            echo "$b"
            return 0
        fi
        a=$b
    done
    echo "$b"
}

# bs_perfdhcp_parse FILE: perfdhcp's (v4) report as shell assignments, for eval: rate (4-way
# exchanges/s achieved), rate_expected; per exchange, prefix do_ (DISCOVER-OFFER) and ra_
# (REQUEST-ACK): sent recv drops orphans rejected nonunique min avg max std (delays in ms);
# avalanche: took_s (time to provision), provisioned, sent_total (sent + resent), resent, responses.
bs_perfdhcp_parse() {
    awk '
    function num(s) { gsub(/[^0-9.eE+-]/, "", s); return s == "" ? 0 : s }
    /^Rate:/ { printf "rate=%s\n", num($2); if (match($0, /expected rate: [0-9.]+/)) printf "rate_expected=%s\n", num(substr($0, RSTART + 15, RLENGTH - 15)) }
    /Statistics for: DISCOVER-OFFER/ { s = "do_" } /Statistics for: REQUEST-ACK/ { s = "ra_" }
    s != "" && /^sent packets:/ { printf "%ssent=%s\n", s, num($3) }
    s != "" && /^received packets:/ { printf "%srecv=%s\n", s, num($3) }
    s != "" && /^drops:/ { printf "%sdrops=%s\n", s, num($2) }
    s != "" && /^orphans:/ { printf "%sorphans=%s\n", s, num($2) }
    s != "" && /^rejected leases:/ { printf "%srejected=%s\n", s, num($3) }
    s != "" && /^non unique addresses:/ { printf "%snonunique=%s\n", s, num($4) }
    s != "" && /^min delay:/ { printf "%smin=%s\n", s, num($3) }
    s != "" && /^avg delay:/ { printf "%savg=%s\n", s, num($3) }
    s != "" && /^max delay:/ { printf "%smax=%s\n", s, num($3) }
    s != "" && /^std deviation:/ { printf "%sstd=%s\n", s, num($3) }
    /^It took [0-9:.]+ to provision/ { split($3, t, ":"); printf "took_s=%.3f\nprovisioned=%s\n", t[1] * 3600 + t[2] * 60 + t[3], num($6) }
    /^Requests sent \+ resent:/ { printf "sent_total=%s\n", num($5) }
    /^Requests resent:/ { printf "resent=%s\n", num($3) }
    /^Responses received:/ { printf "responses=%s\n", num($3) }
    ' "$1"
}
