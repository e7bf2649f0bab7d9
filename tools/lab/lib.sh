# shellcheck shell=bash
# Shared helpers for the bootstorm lab: names, paths, logging, the appliance's lifecycle.
# Sourced by tools/lab/*, tools/demo, tools/run-tests and tests/{integration,e2e}/*.sh.
# Expects the caller to run with `set -euo pipefail`.
# shellcheck disable=SC2034  # the names are used by the scripts that source this file

BS_REPO=${BS_REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BS_LAB_DIR=${BS_LAB_DIR:-$BS_REPO/lab}
BS_BUILD_DIR=${BS_BUILD_DIR:-$BS_REPO/build}

# Topology (docs/LAB.md draws it).
BS_NS_SRV=bs-srv          # the appliance: DPDK on bs-veth0, exception tap bs0
BS_NS_CLI=bs-cli          # the client side: bridge, QEMU's tap
BS_NS_C0=bs-c0            # a plain client namespace for udhcpc/tftp/curl
BS_VETH_SRV=bs-veth0
BS_VETH_CLI=bs-veth1
BS_BRIDGE=bs-br0
BS_TAP=bs-tap0
BS_C0_IF=bs-c0            # the client's interface inside namespace bs-c0
BS_C0_PEER=bs-c0p         # its peer, enslaved to bs-br0 in bs-cli
BS_C0_MAC=02:42:0a:4d:00:c0   # fixed (locally administered, not reserved: gets a pool lease)
BS_EXCEPTION_IF=bs0       # created by the dataplane itself
BS_SERVER_IP=10.77.0.1
BS_VM_MAC=52:54:00:12:34:56

BS_TFTP_ROOT=$BS_LAB_DIR/tftp
BS_STATE_DIR=$BS_LAB_DIR/state
BS_CONFIG=$BS_LAB_DIR/bootstorm.toml
BS_CACHE_DIR=$BS_LAB_DIR/cache

bs_log() { printf '[lab] %s\n' "$*" >&2; }
bs_die() { printf '[lab] error: %s\n' "$*" >&2; exit 1; }

bs_require_root() {
    [[ $(id -u) -eq 0 ]] || bs_die "$(basename "$0") must run as root (network namespaces, QEMU tap): try sudo $0"
}

bs_have_ns() { ip netns list 2>/dev/null | awk '{print $1}' | grep -qx -- "$1"; }

# --- the appliance --------------------------------------------------------------------
# bs_appliance_start LOGFILE [PREFIX]: start `bootstorm-ctl up` in bs-srv in the background.
# Its output goes to LOGFILE; with PREFIX it is also streamed to stderr, each line prefixed.
# Sets BS_APPLIANCE_PID. Stop it with bs_appliance_stop.
BS_APPLIANCE_PID=
BS_APPLIANCE_TAIL_PID=
bs_appliance_start() {
    local logfile=$1 prefix=${2:-}
    local ctl=$BS_BUILD_DIR/tools/bootstorm-ctl
    [[ -x $ctl ]] || bs_die "$ctl not built (meson compile -C $BS_BUILD_DIR)"
    [[ -f $BS_CONFIG ]] || bs_die "$BS_CONFIG missing: run tools/lab/payload first"
    bs_have_ns "$BS_NS_SRV" || bs_die "namespace $BS_NS_SRV missing: run tools/lab/net up first"
    : >"$logfile"
    # setsid: own process group, so stopping it cannot touch the caller's group.
    setsid ip netns exec "$BS_NS_SRV" "$ctl" up --config "$BS_CONFIG" >>"$logfile" 2>&1 </dev/null &
    BS_APPLIANCE_PID=$!
    if [[ -n $prefix ]]; then
        tail -n +1 -F --pid="$BS_APPLIANCE_PID" "$logfile" 2>/dev/null | sed -u "s/^/$prefix /" >&2 &
        BS_APPLIANCE_TAIL_PID=$!
    fi
}

# bs_appliance_wait_ready [TIMEOUT]: wait until the dataplane has created bs0 with the
# appliance address and the control process answers HTTP on it.
bs_appliance_wait_ready() {
    local timeout=${1:-60} i
    for ((i = 0; i < timeout * 2; i++)); do
        if [[ -n $BS_APPLIANCE_PID ]] && ! kill -0 "$BS_APPLIANCE_PID" 2>/dev/null; then
            bs_log "the appliance exited before it was ready"
            return 1
        fi
        if ip netns exec "$BS_NS_SRV" ip -4 addr show dev "$BS_EXCEPTION_IF" 2>/dev/null |
            grep -q "inet $BS_SERVER_IP/"; then
            # HTTP comes up in the control process, possibly a moment later.
            if ip netns exec "$BS_NS_SRV" curl -s -o /dev/null --max-time 1 \
                "http://$BS_SERVER_IP/" 2>/dev/null; then
                return 0
            fi
        fi
        sleep 0.5
    done
    bs_log "the appliance was not ready after ${timeout}s ($BS_EXCEPTION_IF without $BS_SERVER_IP, or no HTTP)"
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
