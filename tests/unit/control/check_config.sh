#!/bin/sh
# Runs `bootstorm-ctl check CONFIG` and asserts its exit code and that its output holds MESSAGE
# (a fixed string, e.g. "bad-mac.toml:25:7: host[0].mac: '52:...' is not a unicast MAC ...").
# usage: check_config.sh CTL CONFIG EXPECTED_EXIT MESSAGE
ctl=$1 config=$2 want_rc=$3 message=$4
out=$("$ctl" check "$config" 2>&1)
rc=$?
printf '%s\n' "$out"
if [ "$rc" -ne "$want_rc" ]; then
  echo "FAIL: exit code $rc, expected $want_rc" >&2
  exit 1
fi
if ! printf '%s\n' "$out" | grep -qF -- "$message"; then
  echo "FAIL: output lacks: $message" >&2
  exit 1
fi
echo "PASS: exit $rc with: $message"
