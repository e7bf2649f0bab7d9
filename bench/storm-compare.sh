#!/usr/bin/env bash
# The boot-storm comparison: the same `bootstorm-bench storm` (N simulated PXE machines: DHCP,
# pxelinux.0, ldlinux.c32, the PXELINUX config search, the .c32 modules, an 8 MiB kernel, a
# 32 MiB initrd, the kickstart over HTTP) against bootstorm, dnsmasq 2.90, Kea 2.2 + tftpd-hpa
# 5.2 and dnsmasq (DHCP only) + atftpd 0.8, one after another on one lab wire; first without
# loss, then with the bench's own 2% loss both ways. Writes every run's JSON and HTML, a
# comparison report per round and one of everything, prints the table, cross-checks the storm's
# TFTP bytes against bootstorm's own counters, and prints the section for docs/BENCHMARKS.md
# (--write-docs: replaces the text between `<!-- storm-compare:begin -->` and
# `<!-- storm-compare:end -->` there).
#
# Usage: sudo bench/storm-compare.sh [--write-docs] [--out DIR]    (from a clone: builds if needed)
#
# Environment (defaults):
#   BS_BUILD_DIR=build              built here if a binary is missing (meson setup + ninja)
#   BS_BUILD_JOBS=                  ninja -j for that build (empty: ninja's default)
#   BS_LAB_PREFIX=bs                namespace/interface prefix (bench/storm-lab/lib.sh)
#   BS_STORM_CLIENTS=200            simulated machines per run
#   BS_STORM_SERVERS="bootstorm dnsmasq kea-tftpd-hpa dnsmasq-atftpd"
#   BS_STORM_ROUNDS="clean lossy"   clean: no faults; lossy: --loss BS_STORM_LOSS
#   BS_STORM_LOSS=0.02              the lossy round's loss (the bench applies it both ways)
#   BS_STORM_ARRIVAL=all            all | ramp:T | poisson:R
#   BS_STORM_BLKSIZE=1468  BS_STORM_WINDOWSIZE=64  BS_STORM_SEED=1
#   BS_STORM_ARGS=                  more storm options, e.g. "--tftp-timeout 2 --efi-every 4"
#   BS_STORM_RUN_LIMIT=3600         the storm's --max-seconds: it stops and reports after this
#                                   long (a peer that cannot finish must not stop the comparison)
#   BS_STORM_RUN_LIMIT_LOSSY=       the same for the lossy round (default BS_STORM_RUN_LIMIT):
#                                   lock-step peers under loss take very long
#   BS_STORM_KERNEL_KIB=8192  BS_STORM_INITRD_KIB=32768   the boot tree's kernel and initrd
#   BS_STORM_DNSMASQ_ARGS=          extra dnsmasq arguments (default: dnsmasq's own defaults)
#   BS_STORM_OUT=                   output directory (default lab/bench/storm-compare.<p>.<time>)
#
# Exit status: 0 when every bootstorm run completed every machine; 1 otherwise (the peers'
# failures are reported, not fatal).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
write_docs=0
out_arg=
while (($#)); do
    case $1 in
    --write-docs) write_docs=1 ;;
    --out) out_arg=${2:?--out DIR}; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument '$1' (--write-docs, --out DIR)" >&2; exit 2 ;;
    esac
    shift
done
# shellcheck source=../tools/lab/lib.sh
source "$repo/tools/lab/lib.sh"
# shellcheck source=storm-lab/lib.sh
source "$repo/bench/storm-lab/lib.sh"
bs_require_root

clients=${BS_STORM_CLIENTS:-200}
export BS_STORM_CLIENTS=$clients
servers=${BS_STORM_SERVERS:-$STORM_SERVERS_ALL}
rounds=${BS_STORM_ROUNDS:-clean lossy}
loss=${BS_STORM_LOSS:-0.02}
arrival=${BS_STORM_ARRIVAL:-all}
blksize=${BS_STORM_BLKSIZE:-1468}
windowsize=${BS_STORM_WINDOWSIZE:-64}
seed=${BS_STORM_SEED:-1}
run_limit_clean=${BS_STORM_RUN_LIMIT:-3600}
run_limit_lossy=${BS_STORM_RUN_LIMIT_LOSSY:-$run_limit_clean}
read -r -a storm_extra <<<"${BS_STORM_ARGS:-}"
for s in $servers; do
    [[ " $STORM_SERVERS_ALL " == *" $s "* ]] || bs_die "BS_STORM_SERVERS: unknown server '$s' (known: $STORM_SERVERS_ALL)"
done
for r in $rounds; do
    [[ $r == clean || $r == lossy ]] || bs_die "BS_STORM_ROUNDS: clean and/or lossy (got '$r')"
done

stamp=$(date +%Y%m%d-%H%M%S)
out=${out_arg:-${BS_STORM_OUT:-$BS_LAB_DIR/bench/storm-compare.$BS_LAB_PREFIX.$stamp}}
mkdir -p "$out"
out=$(cd "$out" && pwd)
bench=$BS_BUILD_DIR/bench/bootstorm-bench
say() { printf '[storm-compare] %s\n' "$*" >&2; }

# --- build ----------------------------------------------------------------------------------
targets=(bench/bootstorm-bench tools/bootstorm-ctl dataplane/bootstorm-dataplane control/bootstorm-control)
need_build=0
for t in "${targets[@]}"; do [[ -x $BS_BUILD_DIR/$t ]] || need_build=1; done
if ((need_build)); then
    if [[ ! -f $BS_BUILD_DIR/build.ninja ]]; then
        say "meson setup $BS_BUILD_DIR"
        meson setup "$BS_BUILD_DIR" "$repo" >&2
    fi
    say "ninja -C $BS_BUILD_DIR ${targets[*]}"
    ninja -C "$BS_BUILD_DIR" ${BS_BUILD_JOBS:+-j "$BS_BUILD_JOBS"} "${targets[@]}" >&2
fi
"$bench" storm --help >/dev/null 2>&1 || bs_die "$bench has no working 'storm' subcommand"
for p in dnsmasq curl nft python3; do command -v "$p" >/dev/null || bs_die "$p missing (tools/setup-deps)"; done

cleanup() {
    local rc=$?
    set +e
    [[ -n ${bench_pid:-} ]] && kill -TERM "$bench_pid" 2>/dev/null && wait "$bench_pid" 2>/dev/null
    storm_server_stop
    storm_lab_down
    exit "$rc"
}
trap cleanup EXIT

# --- the lab --------------------------------------------------------------------------------
storm_tree
# the peers, unpacked (never installed) before the clock starts
for pair in "kea-dhcp4-server /usr/sbin/kea-dhcp4 kea-common" "tftpd-hpa /usr/sbin/in.tftpd" "atftpd /usr/sbin/atftpd"; do
    read -r pkg file match <<<"$pair"
    b=$(bs_unpacked "$pkg" "$file" ${match:+"$match"})
    missing=$(ldd "$b" | awk '/not found/ { print $1 }')
    [[ -z $missing ]] || bs_die "$b needs libraries that are not installed: $missing (tools/setup-deps)"
done
storm_lab_down
storm_lab_up keepoff
say "lab: $STORM_NS_SRV/$STORM_IF_SRV <-> $STORM_NS_BENCH/$STORM_IF_BENCH (kernel kept off $STORM_IF_BENCH); tree $STORM_TREE; results in $out"

# bootstorm's counters (/status) of one run: before and after, settled.
status_tftp() {
    local k
    for k in tftp_done tftp_failed tftp_data_bytes dhcp_acks; do
        bs_status_get "$1" "dataplane.stats.counters.$k"
    done
}
settle_status() {  # FILE: /status once the dataplane's counters stop moving (reported every second)
    local prev cur i
    prev=$(status_tftp "$(bs_appliance_status || true)")
    for ((i = 0; i < 30; i++)); do
        sleep 1.5
        bs_appliance_status >"$1" || continue
        cur=$(status_tftp "$(cat "$1")")
        [[ $cur == "$prev" ]] && break
        prev=$cur
    done
}
first_status() {  # FILE: /status once the dataplane has sent its first report
    local i
    for ((i = 0; i < 20; i++)); do
        bs_appliance_status >"$1" || true
        python3 -c 'import json, sys; sys.exit("stats" not in json.load(open(sys.argv[1])).get("dataplane", {}))' \
            "$1" 2>/dev/null && return 0
        sleep 0.5
    done
}

# --- the runs -------------------------------------------------------------------------------
declare -a cmds=()
bench_pid=
bootstorm_failed=0
run_one() {  # ROUND SERVER
    local round=$1 s=$2 name=$1-$2 label=$2 rc=0 t0 t1 run_limit=$run_limit_clean
    [[ $round == lossy ]] && run_limit=$run_limit_lossy
    local args=(storm --interface "$STORM_IF_BENCH" --clients "$clients" --arrival "$arrival"
        --blksize "$blksize" --windowsize "$windowsize" --seed "$seed" --max-seconds "$run_limit")
    if [[ $round == lossy ]]; then
        args+=(--loss "$loss")
        label="$s, $(awk -v l="$loss" 'BEGIN { printf "%g", l * 100 }')% loss"
    fi
    args+=("${storm_extra[@]}")
    say "== $name: starting $s"
    storm_server_start "$s" "$out/servers.$round"
    [[ $s == bootstorm ]] && first_status "$out/$name.status-0.json"
    local cmd=(ip netns exec "$STORM_NS_BENCH" "$bench" "${args[@]}" --label "$label"
        --json "$out/$name.json" --html "$out/$name.html")
    cmds+=("$(printf '%q ' "$bench" "${args[@]}")")
    say "$name: ${cmd[*]}"
    t0=$(date +%s.%N)
    timeout -k 10 $((run_limit + 120)) "${cmd[@]}" >"$out/$name.txt" 2>"$out/$name.err" &
    bench_pid=$!
    wait "$bench_pid" || rc=$?
    bench_pid=
    t1=$(date +%s.%N)
    cat "$out/$name.txt" >&2
    ((rc == 0)) || say "$name: the bench exited $rc$( ((rc == 124)) && echo " (killed after $((run_limit + 120))s)"): $(tail -n 3 "$out/$name.err" | tr '\n' ' ')"
    echo "$rc $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')" >"$out/$name.rc"
    if [[ $s == bootstorm ]]; then
        settle_status "$out/$name.status-1.json"
        cp "$STORM_SERVER_WORK/bootstorm.toml" "$out/bootstorm.toml"
        say "$name: cross-check, $(python3 "$repo/bench/storm-lab/report.py" --out "$out" --blksize "$blksize" --crosscheck-only "$round" 2>&1 || true)"
        ok=$(python3 -c 'import json, sys; j = json.load(open(sys.argv[1])); print(int(j["failed"] == 0 and j["completed"] == j["clients"]))' "$out/$name.json" 2>/dev/null || echo 0)
        ((ok == 1)) || bootstorm_failed=1
    fi
    storm_server_stop
}
started=$(date +%s)
for round in $rounds; do
    for s in $servers; do run_one "$round" "$s"; done
done
took=$(($(date +%s) - started))

# --- compare --------------------------------------------------------------------------------
compare() {  # HTML JSON...: the table on stdout
    local html=$1
    shift
    (($#)) || return 0
    "$bench" compare "$@" --html "$html"
}
for round in $rounds; do
    js=()
    for s in $servers; do [[ -s $out/$round-$s.json ]] && js+=("$out/$round-$s.json"); done
    compare "$out/report-$round.html" "${js[@]}" >"$out/compare-$round.txt" 2>&1 || say "compare ($round) failed: $(tail -n 3 "$out/compare-$round.txt")"
done
all=()
for round in $rounds; do for s in $servers; do [[ -s $out/$round-$s.json ]] && all+=("$out/$round-$s.json"); done; done
compare "$out/report.html" "${all[@]}" >"$out/compare.txt" 2>&1 || say "compare (all) failed: $(tail -n 3 "$out/compare.txt")"

# --- the section for docs/BENCHMARKS.md ------------------------------------------------------
machine_cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
rev=$(git -C "$repo" describe --always --dirty 2>/dev/null || echo '?')
envs=
while IFS='=' read -r k v; do
    [[ $k == BS_STORM_CLIENTS && $v == 200 ]] && continue
    if [[ $v =~ ^[A-Za-z0-9_./:,+=-]*$ ]]; then envs+="$k=$v "; else envs+="$k='${v//\'/\'\\\'\'}' "; fi
done < <(env | grep -E '^BS_(STORM_|BUILD_DIR|LAB_PREFIX)' | sort || true)
storm_versions >"$out/versions.txt"
printf '%s\n' "${cmds[@]}" >"$out/commands.txt"
python3 "$repo/bench/storm-lab/report.py" --out "$out" --rounds "$rounds" --servers "$servers" \
    --clients "$clients" --loss "$loss" --cpu "$machine_cpu" --nproc "$(nproc)" --kernel "$(uname -r)" \
    --os "$(. /etc/os-release && echo "$PRETTY_NAME")" --rev "$rev" --took "$took" \
    --command "sudo ${envs}bench/storm-compare.sh" --tree-kib "$STORM_KERNEL_KIB,$STORM_INITRD_KIB" \
    --blksize "$blksize" \
    >"$out/BENCHMARKS-section.md"
cat "$out/BENCHMARKS-section.md"
say "results: $out (section: $out/BENCHMARKS-section.md; report: $out/report.html)"

if ((write_docs)); then
    docs=$repo/docs/BENCHMARKS.md
    python3 - "$docs" "$out/BENCHMARKS-section.md" <<'PY'
import sys
docs, section = sys.argv[1], open(sys.argv[2]).read()
text = open(docs).read()
b, e = "<!-- storm-compare:begin -->", "<!-- storm-compare:end -->"
if b not in text or e not in text or text.index(b) > text.index(e):
    sys.exit(f"{docs}: no '{b}' ... '{e}' section to replace: add the two markers first")
i, j = text.index(b) + len(b), text.index(e)
open(docs, "w").write(text[:i] + "\n" + section.rstrip("\n") + "\n" + text[j:])
print(f"[storm-compare] {docs}: the storm-compare section replaced", file=sys.stderr)
PY
fi
exit "$bootstorm_failed"
