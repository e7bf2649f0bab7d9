#!/usr/bin/env bash
# Integration: real TFTP clients (tftp-hpa, curl, atftp) from namespace bs-c0 against the
# appliance: byte-identical files with and without options, the error codes for a missing
# file, an escape attempt and a write, the path rules, and the server still serving after.
# Usage: tftp_clients.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
# shellcheck source=tools/lab/tap.sh
source "$(cd "${2:?source dir}" && pwd)/tools/lab/tap.sh"
bs_test_begin "$@"

work=$BS_TEST_WORK
srv=$BS_SERVER_IP
root=$BS_TFTP_ROOT

# A static address outside the pool: TFTP needs no lease.
ip -n "$BS_NS_C0" addr replace 10.77.0.60/24 dev "$BS_C0_IF"
bs_test_appliance_up

# same_file DESC REMOTE_NAME LOCAL_COPY CLIENT_OUTPUT RC
same_file() {
    local desc=$1 want=$root/$2 got=$3 out=$4 rc=$5
    if ((rc == 0)) && cmp -s "$want" "$got"; then
        tap_ok "$desc"
    else
        tap_not_ok "$desc" "client exit status $rc" "$out" \
            "cmp: $(cmp "$want" "$got" 2>&1 || true)" "sizes: want $(stat -c %s "$want") got $(stat -c %s "$got" 2>/dev/null || echo none)"
    fi
}
hpa() { bs_c0 timeout 60 tftp "$srv" -m binary -c "$@" 2>&1; }
curl_tftp() { bs_c0 curl -sS --max-time 60 "$@" 2>&1; }

# --- reads -------------------------------------------------------------------------------
rc=0; out=$(cd "$work" && hpa get pxelinux.0 hpa-pxelinux.0) || rc=$?
same_file "tftp-hpa: pxelinux.0 (no options, blksize 512)" pxelinux.0 "$work/hpa-pxelinux.0" "$out" "$rc"

rc=0; out=$(cd "$work" && hpa get /pxelinux.0 hpa-slash) || rc=$?
same_file "tftp-hpa: /pxelinux.0 (leading slash is relative to the root)" pxelinux.0 "$work/hpa-slash" "$out" "$rc"

rc=0; out=$(cd "$work" && hpa get 'centos7\vmlinuz' hpa-bslash) || rc=$?
same_file 'tftp-hpa: centos7\vmlinuz (backslash read as /)' centos7/vmlinuz "$work/hpa-bslash" "$out" "$rc"

rc=0; out=$(curl_tftp --tftp-blksize 1468 -o "$work/curl-vmlinuz" "tftp://$srv/centos7/vmlinuz") || rc=$?
same_file "curl: centos7/vmlinuz with blksize 1468" centos7/vmlinuz "$work/curl-vmlinuz" "$out" "$rc"

rc=0; out=$(curl_tftp -o "$work/curl-initrd" "tftp://$srv/centos7/initrd.img") || rc=$?
same_file "curl: centos7/initrd.img with the default block size" centos7/initrd.img "$work/curl-initrd" "$out" "$rc"

rc=0
out=$(bs_c0 timeout 60 atftp --option "blksize 1428" --option "tsize 0" --trace \
    -g -r centos7/initrd.img -l "$work/atftp-initrd" "$srv" 2>&1) || rc=$?
same_file "atftp: centos7/initrd.img with blksize 1428 + tsize" centos7/initrd.img "$work/atftp-initrd" "$out" "$rc"
# atftp --trace prints the server's OACK: "received OACK <tsize: N, blksize: 1428, >"
oack=$(grep -m1 'received OACK' <<<"$out" || true)
tap_contains "atftp: the OACK reports the real tsize" "$oack" "tsize: $(stat -c %s "$root/centos7/initrd.img"),"
tap_contains "atftp: the OACK acknowledges blksize 1428" "$oack" "blksize: 1428"

# a file of exactly 512 * k bytes ends with an empty DATA block (RFC 1350)
head -c $((512 * 3)) /dev/urandom >"$root/bs-test-1536.bin"
rc=0; out=$(cd "$work" && hpa get bs-test-1536.bin exact) || rc=$?
same_file "tftp-hpa: a file of exactly 3 blocks (trailing empty block)" bs-test-1536.bin "$work/exact" "$out" "$rc"
rm -f "$root/bs-test-1536.bin"

# several clients at once
pids=()
for i in 1 2 3 4; do
    bs_c0 curl -sS --max-time 60 --tftp-blksize 1468 -o "$work/par$i" "tftp://$srv/centos7/vmlinuz" \
        >"$work/par$i.err" 2>&1 &
    pids+=($!)
done
par_ok=1
for i in 1 2 3 4; do
    wait "${pids[$((i - 1))]}" && cmp -s "$root/centos7/vmlinuz" "$work/par$i" || par_ok=0
done
if ((par_ok)); then tap_ok "4 concurrent curl transfers of vmlinuz are byte-identical"; else
    tap_not_ok "4 concurrent curl transfers of vmlinuz are byte-identical" "$(cat "$work"/par*.err)"; fi

# --- errors ------------------------------------------------------------------------------
rc=0; out=$(curl_tftp -o "$work/missing" "tftp://$srv/no-such-file") || rc=$?
tap_is "curl: missing file -> TFTP error 1 (curl exit 68, File Not Found)" "$rc" 68
out=$(cd "$work" && hpa get no-such-file hpa-missing) || true
tap_contains "tftp-hpa: missing file -> Error code 1" "$out" "Error code 1"

out=$(cd "$work" && hpa get ../etc/passwd hpa-escape) || true
tap_contains "tftp-hpa: ../etc/passwd -> Error code 2 (access violation)" "$out" "Error code 2"
rc=0; out=$(curl_tftp --path-as-is -o "$work/escape" "tftp://$srv/centos7/../../etc/passwd") || rc=$?
tap_is "curl: centos7/../../etc/passwd -> TFTP error 2 (curl exit 69)" "$rc" 69

echo "not for the appliance" >"$work/upload.txt"
out=$(cd "$work" && hpa put upload.txt bs-upload.txt) || true
tap_contains "tftp-hpa: WRQ -> Error code 4 (read-only)" "$out" "Error code 4"
rc=0; out=$(curl_tftp -T "$work/upload.txt" "tftp://$srv/bs-upload2.txt") || rc=$?
tap_is "curl: upload -> TFTP error 4 (curl exit 71)" "$rc" 71
if [[ ! -e $root/bs-upload.txt && ! -e $root/bs-upload2.txt ]]; then tap_ok "nothing was written to the TFTP root"; else
    tap_not_ok "nothing was written to the TFTP root" "$(ls -l "$root")"; fi

# --- still serving -----------------------------------------------------------------------
bs_test_appliance_alive "appliance still running after the errors"
rc=0; out=$(curl_tftp --tftp-blksize 1468 -o "$work/after" "tftp://$srv/pxelinux.0") || rc=$?
same_file "curl: pxelinux.0 again after all that" pxelinux.0 "$work/after" "$out" "$rc"

tap_done
