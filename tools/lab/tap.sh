# shellcheck shell=bash
# TAP output and the lab fixture for the shell tests in tests/integration and tests/e2e.
# Each test: `source tools/lab/tap.sh`, `bs_test_begin "$@"` (args: build dir, source dir),
# then assertions, then `tap_done`. One `ok`/`not ok` line per assertion; meson reads them
# with protocol: 'tap' and counts each.

TAP_N=0
TAP_FAILED=0

tap_diag() { local l; for l in "$@"; do printf '%s\n' "$l" | sed 's/^/# /'; done; }
tap_ok() { TAP_N=$((TAP_N + 1)); printf 'ok %d - %s\n' "$TAP_N" "$1"; }
tap_not_ok() {
    TAP_N=$((TAP_N + 1)); TAP_FAILED=$((TAP_FAILED + 1))
    printf 'not ok %d - %s\n' "$TAP_N" "$1"
    shift
    (($# == 0)) || tap_diag "$@"
}
# tap_check DESC CMD...: ok if CMD succeeds; its output becomes diagnostics if it fails.
tap_check() {
    local desc=$1 out rc=0
    shift
    out=$("$@" 2>&1) || rc=$?
    if ((rc == 0)); then tap_ok "$desc"; else tap_not_ok "$desc" "command: $*" "exit status $rc" "$out"; fi
}
# tap_is DESC GOT WANT
tap_is() {
    if [[ $2 == "$3" ]]; then tap_ok "$1"; else tap_not_ok "$1" "got:  '$2'" "want: '$3'"; fi
}
# tap_contains DESC HAYSTACK NEEDLE (fixed string)
tap_contains() {
    if [[ $2 == *"$3"* ]]; then tap_ok "$1"; else tap_not_ok "$1" "expected to find: '$3'" "in: '$(head -c 2000 <<<"$2")'"; fi
}
tap_skip() { TAP_N=$((TAP_N + 1)); printf 'ok %d - %s # SKIP %s\n' "$TAP_N" "$1" "$2"; }
tap_bail() {
    printf 'Bail out! %s\n' "$1"
    shift
    (($# == 0)) || tap_diag "$@"
    exit 1
}
tap_done() {
    printf '1..%d\n' "$TAP_N"
    ((TAP_FAILED == 0))
}

# --- the fixture ----------------------------------------------------------------------
# bs_test_begin BUILD_DIR SOURCE_DIR: root check, payload, lab network, a scratch directory
# $BS_TEST_WORK; all of it torn down on exit (keeping the test's exit status).
bs_test_begin() {
    BS_BUILD_DIR=$(cd "${1:?build dir}" && pwd)
    BS_REPO=$(cd "${2:?source dir}" && pwd)
    BS_TEST_NAME=$(basename "$0" .sh)
    BS_TEST_LOGDIR=$BS_BUILD_DIR/meson-logs/lab
    # shellcheck source=tools/lab/lib.sh
    source "$BS_REPO/tools/lab/lib.sh"
    if [[ $(id -u) -ne 0 ]]; then
        echo "1..0 # SKIP needs root (network namespaces): sudo tools/run-tests"
        exit 0
    fi
    mkdir -p "$BS_TEST_LOGDIR"
    BS_TEST_WORK=$(mktemp -d "${TMPDIR:-/tmp}/bs-test.XXXXXX")
    trap bs_test_cleanup EXIT
    local out
    out=$("$BS_REPO/tools/lab/payload" 2>&1) || tap_bail "lab payload failed" "$out"
    "$BS_REPO/tools/lab/net" down >/dev/null 2>&1 || true
    out=$("$BS_REPO/tools/lab/net" up 2>&1) || tap_bail "lab network failed" "$out"
}

bs_test_cleanup() {
    local rc=$?
    bs_appliance_stop
    "$BS_REPO/tools/lab/net" down >/dev/null 2>&1 || true
    rm -rf "$BS_TEST_WORK"
    exit "$rc"
}

# bs_test_appliance_up [CONFIG]: start the appliance (with CONFIG, default the lab's
# $BS_CONFIG; a variant should keep its state_dir), bail out (with its log) unless it gets ready.
bs_test_appliance_up() {
    BS_TEST_APPLIANCE_LOG=$BS_TEST_LOGDIR/$BS_TEST_NAME.appliance.log
    # Hermetic: no leases from an earlier run (the journal lives in the state dir).
    rm -rf "$BS_STATE_DIR"
    mkdir -p "$BS_STATE_DIR"
    bs_appliance_start "$BS_TEST_APPLIANCE_LOG" "" "${1:-$BS_CONFIG}"
    if bs_appliance_wait_ready "${BS_READY_TIMEOUT:-60}" 2>/dev/null; then
        tap_ok "appliance ready: $BS_EXCEPTION_IF holds $BS_SERVER_IP, HTTP answers, snapshot applied"
    else
        tap_not_ok "appliance ready: $BS_EXCEPTION_IF holds $BS_SERVER_IP, HTTP answers, snapshot applied"
        tap_bail "the appliance did not come up" "appliance log ($BS_TEST_APPLIANCE_LOG), last lines:" \
            "$(tail -n 30 "$BS_TEST_APPLIANCE_LOG")"
    fi
}

# bs_test_appliance_alive DESC: one assertion that the appliance process is still running.
bs_test_appliance_alive() {
    if [[ -n $BS_APPLIANCE_PID ]] && kill -0 "$BS_APPLIANCE_PID" 2>/dev/null; then
        tap_ok "$1"
    else
        tap_not_ok "$1" "the appliance exited; last log lines:" "$(tail -n 20 "$BS_TEST_APPLIANCE_LOG")"
    fi
}

# Run a command in the plain client namespace.
bs_c0() { ip netns exec "$BS_NS_C0" "$@"; }
