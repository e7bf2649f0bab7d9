#!/usr/bin/env bash
# Builds the libFuzzer harnesses with clang (-fsanitize=fuzzer,address,undefined) and runs each
# for a bounded time (BS_FUZZ_SECONDS, default 20). The codecs are plain C++: the harnesses are
# compiled straight from their sources, no second meson build. TAP: one case per harness; a
# crash, leak or sanitizer report fails it (the reproducer is kept in the log directory).
# Usage: run.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$(cd "${1:?build dir}" && pwd)
src=$(cd "${2:?source dir}" && pwd)
secs=${BS_FUZZ_SECONDS:-20}
logdir=$build/meson-logs/fuzz
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=1; echo "not ok $n - $1"; shift; printf '# %s\n' "$@"; }

cxx=$(command -v clang++ || true)
if [[ -z $cxx ]]; then
    echo "1..0 # SKIP clang++ not installed (tools/setup-deps installs clang)"
    exit 0
fi
mkdir -p "$logdir"
work=$(mktemp -d "${TMPDIR:-/tmp}/bs-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
flags=(-std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
    -I"$src" -I"$src/dataplane" -I/usr/include)
proto=("$src"/dataplane/proto/*.cpp)
declare -A extra=(
    [fuzz_proto]=""
    [fuzz_dhcp]="$src/dataplane/dhcp/reply.cpp $src/dataplane/dhcp/boot_policy.cpp $src/dataplane/snapshot/snapshot.cpp"
)
for h in fuzz_proto fuzz_dhcp; do
    # shellcheck disable=SC2086  # extra sources are space-separated paths without spaces
    if ! out=$("$cxx" "${flags[@]}" -o "$work/$h" "$src/tests/fuzz/$h.cpp" "${proto[@]}" ${extra[$h]} 2>&1); then
        not_ok "$h: builds with clang -fsanitize=fuzzer,address,undefined" "$out"
        continue
    fi
    mkdir -p "$work/corpus-$h"
    if (cd "$logdir" && "$work/$h" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$logdir/$h-" "$work/corpus-$h" >"$logdir/$h.log" 2>&1); then
        runs=$(grep -Eo 'Done [0-9]+ runs' "$logdir/$h.log" | tail -n1)
        ok "$h: ${runs:-ran} in ${secs}s, no crash, leak or sanitizer report"
    else
        not_ok "$h: no crash, leak or sanitizer report in ${secs}s" "$(tail -n 30 "$logdir/$h.log")"
    fi
done
echo "1..$n"
exit "$failed"
