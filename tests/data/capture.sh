#!/bin/bash
# Captures the real-client pcaps the codec unit tests read (tests/unit/proto/).
# Run as root on Debian 12 from anywhere: tests/data/capture.sh [OUTDIR]
# Needs: tcpdump, ethtool, isc-dhcp-client, qemu-system-x86, ipxe-qemu, tftp-hpa, atftp,
# and in.tftpd from tftpd-hpa: TFTPD=path, else the script downloads the package and unpacks it
# into its work directory (never installed as a service; libwrap0 is installed if missing).
# All traffic stays inside namespaces this script creates (prefix pc-) and removes.
# PC_TRACE=1 traces the script; PC_KEEP=1 keeps its work directory (/tmp/pc-capture.*).
set -euo pipefail
[[ -n ${PC_TRACE:-} ]] && set -x

OUT=${1:-$(cd "$(dirname "$0")" && pwd)}
TFTPD=${TFTPD:-/tmp/pc-tftpd/usr/sbin/in.tftpd}
WORK=$(mktemp -d /tmp/pc-capture.XXXXXX)
NS_A=pc-cli
NS_B=pc-srv
NS_Q=pc-qemu

PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  sleep 0.3
  for ns in $NS_A $NS_B $NS_Q; do ip netns del "$ns" 2>/dev/null || true; done
  [[ -n ${PC_KEEP:-} ]] || rm -rf "$WORK"
}
trap cleanup EXIT

[[ $(id -u) == 0 ]] || { echo "run as root" >&2; exit 1; }
if [[ ! -x $TFTPD ]]; then
  # tftpd-hpa's server, unpacked privately (installing the package would start a service).
  TFTPD=$WORK/tftpd-hpa/usr/sbin/in.tftpd
  (cd "$WORK" && apt-get download -q tftpd-hpa >/dev/null && dpkg -x tftpd-hpa_*.deb "$WORK/tftpd-hpa")
fi
dpkg-query -W -f='${Status}' libwrap0 2>/dev/null | grep -q "ok installed" ||
  apt-get install -y -q --no-install-recommends libwrap0 >/dev/null

# Starts tcpdump in namespace $1 on interface $2 writing $3 with filter $4; waits until ready.
start_tcpdump() {
  local ns=$1 dev=$2 file=$3 filter=$4 log
  log="$file.log"
  ip netns exec "$ns" tcpdump -i "$dev" --immediate-mode -U -s 2048 -w "$file" "$filter" 2>"$log" &
  PIDS+=($!)
  for _ in $(seq 50); do
    grep -q "listening on" "$log" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "tcpdump did not start" >&2
  return 1
}
stop_last() {
  local pid=${PIDS[-1]}
  kill -INT "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  unset 'PIDS[-1]'
}

# --- a veth pair between a client and a server namespace --------------------------------
ip netns add $NS_A
ip netns add $NS_B
ip link add pc-veth-c netns $NS_A type veth peer name pc-veth-s netns $NS_B
ip -n $NS_A link set lo up
ip -n $NS_B link set lo up
ip -n $NS_A link set pc-veth-c address 02:00:00:00:0c:01 up
ip -n $NS_B link set pc-veth-s address 02:00:00:00:0c:02 up
# veth defers UDP checksums (CHECKSUM_PARTIAL): tcpdump would record unfinished checksums.
# Turn TX checksum offload off so the pcaps hold the checksums a real wire carries.
ip netns exec $NS_A ethtool -K pc-veth-c tx off >/dev/null
ip netns exec $NS_B ethtool -K pc-veth-s tx off >/dev/null

# --- 1. dhclient DISCOVERs (no server: we want the client's own frames) ------------------
start_tcpdump $NS_B pc-veth-s "$WORK/dhclient.pcap" "udp port 67 or udp port 68"
# -sf /bin/true: never touch /etc/resolv.conf; private lease and pid files.
ip netns exec $NS_A timeout 9 dhclient -4 -d -v -1 -sf /bin/true \
  -lf "$WORK/dhclient.leases" -pf "$WORK/dhclient.pid" pc-veth-c >"$WORK/dhclient.log" 2>&1 || true
sleep 0.5
stop_last
cp "$WORK/dhclient.pcap" "$OUT/dhclient-discover.pcap"

# --- 2. tftp-hpa client against in.tftpd (tftpd-hpa) ------------------------------------
ip -n $NS_A addr add 10.78.0.2/24 dev pc-veth-c
ip -n $NS_B addr add 10.78.0.1/24 dev pc-veth-s
mkdir -p "$WORK/root" "$WORK/upload"
# A small deterministic file: 3 full 512-byte blocks and a short one (1700 bytes).
seq 1 1000 | head -c 1700 >"$WORK/root/hello.txt"
chmod 644 "$WORK/root/hello.txt"
# -c lets WRQ create files; -L stays in the foreground.
chmod 777 "$WORK/root"
ip netns exec $NS_B "$TFTPD" -L -c -s "$WORK/root" -a 10.78.0.1:69 &
PIDS+=($!)
sleep 0.5
kill -0 "${PIDS[-1]}" || { echo "in.tftpd failed to start (needs libwrap0)" >&2; exit 1; }
start_tcpdump $NS_B pc-veth-s "$WORK/tftp.pcap" "udp"
cd "$WORK/upload"
# tftp-hpa: plain RRQ (no options), a miss (ERROR 1), and a put (WRQ).
ip netns exec $NS_A tftp -v -m octet 10.78.0.1 -c get hello.txt hello.txt || true
ip netns exec $NS_A tftp -v -m octet 10.78.0.1 -c get missing.bin missing.bin || true
printf 'uploaded by tftp-hpa\n' >put.txt
ip netns exec $NS_A tftp -v -m octet 10.78.0.1 -c put put.txt put.txt || true
sleep 0.5
stop_last
cp "$WORK/tftp.pcap" "$OUT/tftp-hpa-rrq.pcap"
cmp hello.txt "$WORK/root/hello.txt"

# atftp with RFC 2347 options against the same in.tftpd: RRQ blksize+tsize -> OACK.
start_tcpdump $NS_B pc-veth-s "$WORK/atftp.pcap" "udp"
ip netns exec $NS_A atftp --option "blksize 1024" --option "tsize 0" \
  -g -r hello.txt -l hello-opt.txt 10.78.0.1 || true
sleep 0.5
stop_last
cp "$WORK/atftp.pcap" "$OUT/tftpd-hpa-oack.pcap"
cmp hello-opt.txt "$WORK/root/hello.txt"
cd /

# --- 3. iPXE (QEMU, SeaBIOS + Debian's pxe-e1000.rom) DHCPDISCOVERs ----------------------
ip netns add $NS_Q
ip -n $NS_Q link set lo up
ip netns exec $NS_Q ip tuntap add dev pc-tap0 mode tap
ip -n $NS_Q link set pc-tap0 up
start_tcpdump $NS_Q pc-tap0 "$WORK/ipxe.pcap" "udp port 67 or udp port 68"
ip netns exec $NS_Q qemu-system-x86_64 -accel tcg -m 256 -display none -nodefaults \
  -netdev tap,id=n0,ifname=pc-tap0,script=no,downscript=no \
  -device e1000,netdev=n0,mac=52:54:00:12:34:56,romfile=/usr/lib/ipxe/qemu/pxe-e1000.rom \
  -uuid 5f0c3a9e-7d41-4b2a-9c6e-1a2b3c4d5e6f -boot n >"$WORK/qemu.log" 2>&1 &
QEMU=$!
PIDS+=($QEMU)
# Wait until two DISCOVERs were seen (iPXE retransmits), at most 60 s.
for _ in $(seq 60); do
  sleep 1
  n=$(tcpdump -r "$WORK/ipxe.pcap" 2>/dev/null | wc -l || true)
  [[ $n -ge 2 ]] && break
done
kill "$QEMU" 2>/dev/null || true
wait "$QEMU" 2>/dev/null || true
sleep 0.5
stop_last
cp "$WORK/ipxe.pcap" "$OUT/ipxe-discover.pcap"

for f in dhclient-discover tftp-hpa-rrq tftpd-hpa-oack ipxe-discover; do
  echo "== $f.pcap: $(tcpdump -r "$OUT/$f.pcap" 2>/dev/null | wc -l) frames"
done
