// The bench's kernel port: one AF_PACKET socket bound to an interface (a veth in the lab), with
// a TPACKET_V3 RX ring and a TPACKET_V3 TX ring on the same socket, both mapped once (or both
// TPACKET_V2: AfPacketOptions::version).
//
// RX (V3): the kernel fills blocks of variable-size frames and hands a block over when it is
// full or after retire_ms; rx() walks the blocks it owns and gives each back to the kernel at
// the next rx() call (the spans stay valid until then). RX (V2): 2 KiB slots, each handed over
// as soon as it is filled, given back at the next rx() call. Frames over kMaxFrame (GRO/TSO on the
// sending side of a veth) are counted and dropped; frames the kernel has with a checksum still
// to be completed (CHECKSUM_PARTIAL: a local UDP/TCP sender over a veth) get their IPv4 UDP or
// TCP checksum completed, as a NIC would put it on the wire.
// TX: fixed 2 KiB slots; send() marks a slot for sending, flush() (and send(), every tx_batch
// frames) tells the kernel with sendto(fd, NULL, 0, MSG_DONTWAIT). frame() returns an empty
// span when the slot after the last one is still the kernel's, after one flush.
// The socket ignores its own outgoing frames (PACKET_IGNORE_OUTGOING) and puts the interface in
// promiscuous mode for as long as it is open (the simulated machines have their own MACs).
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "port.hpp"

namespace bs::bench {

struct AfPacketOptions {
  // TPACKET version of both rings (one socket). 3: RX in blocks; a block goes to user space when
  // full or retire_ms after it was opened, so at a low rate each frame waits up to that long
  // (measured here, 6.18: a 1 ms median round trip between two ports, 4-9 ms at p90 on a busy
  // machine, against 7 us with version 2). 2: RX frame by frame, each as soon as it is there.
  unsigned version = 3;
  unsigned frames = 8192;     // TX slots; the RX ring holds as many 2 KiB frames' worth of bytes
  unsigned block_kib = 64;    // ring block size (a multiple of 4)
  unsigned retire_ms = 1;     // V3: a partly filled RX block goes to user space after this long
  unsigned tx_batch = 64;     // send() flushes after this many frames
  bool qdisc_bypass = false;  // PACKET_QDISC_BYPASS (then taps such as tcpdump miss our TX)
  double wait_s = 10;         // for the interface to be up with carrier
};

// The port's own counters (counters() has them as JSON, with the kernel's and the interface's).
struct AfPacketStats {
  uint64_t rx_frames = 0, rx_bytes = 0;
  uint64_t rx_oversize = 0;        // over kMaxFrame or cut by the ring: dropped
  uint64_t rx_csum_completed = 0;  // CHECKSUM_PARTIAL frames whose L4 checksum was filled in
  uint64_t rx_csum_unknown = 0;    // CHECKSUM_PARTIAL but not IPv4 UDP/TCP: passed as they are
  uint64_t rx_blocks = 0;          // RX blocks walked
  uint64_t tx_frames = 0, tx_bytes = 0;  // handed to the TX ring by send()
  uint64_t tx_ring_full = 0;             // frame() had no free slot (after a flush)
  uint64_t tx_wrong_format = 0;  // slots the kernel refused (bad length): those frames are lost
  uint64_t tx_flushes = 0;       // sendto() calls
  uint64_t tx_flush_errors = 0;  // sendto() failures other than EAGAIN/ENOBUFS (e.g. ENETDOWN)
  int tx_last_errno = 0;
  // PACKET_STATISTICS (summed: reading them resets the kernel's): frames for the socket, those
  // dropped (ring full) and how often the ring was frozen by a full queue.
  uint64_t kernel_packets = 0, kernel_drops = 0, kernel_freezes = 0;
};

class AfPacketPort final : public Port {
 public:
  // Opens the port on interface ifname (in this network namespace), or returns null with
  // *error set (naming the interface: missing, not Ethernet, down, no permission, ...).
  static std::unique_ptr<AfPacketPort> open(const std::string& ifname, const AfPacketOptions& o,
                                            std::string* error);
  AfPacketPort(const AfPacketPort&) = delete;
  AfPacketPort& operator=(const AfPacketPort&) = delete;
  ~AfPacketPort() override;

  size_t rx(proto::MutBytes* frames, size_t n) override;
  // Room for one frame (kMaxFrame bytes) in the TX ring, or an empty span when it is full.
  proto::MutBytes frame() override;
  void send(size_t len) override;
  void flush() override;
  const proto::Mac& mac() const override { return mac_; }
  std::string name() const override { return ifname_; }
  nlohmann::json counters() const override;

  // The counters, with PACKET_STATISTICS read now.
  const AfPacketStats& stats() const;
  // Frames in the TX ring the kernel has not taken yet.
  size_t queued() const { return tx_queued_; }
  int fd() const { return fd_; }
  unsigned tx_slots() const { return tx_nr_; }
  unsigned version() const { return version_; }

 private:
  AfPacketPort() = default;
  bool setup(const std::string& ifname, const AfPacketOptions& o, std::string* error);
  uint8_t* rx_block(unsigned i) const { return ring_ + size_t(i) * rx_block_size_; }
  uint8_t* tx_slot(unsigned i) const { return ring_ + rx_size_ + size_t(i) * kSlot; }
  uint32_t* tx_status(unsigned i) const;
  bool tx_free(unsigned i);
  void release_rx();
  size_t rx_v2(proto::MutBytes* frames, size_t n);
  // One received frame (header fields of either version): out or counted.
  bool take(uint8_t* frame, uint32_t status, uint32_t len, uint32_t snaplen, uint16_t mac_off,
            proto::MutBytes* out);
  void read_kernel_stats() const;

  static constexpr size_t kSlot = 2048;  // TX slots (and V2 RX slots)

  int fd_ = -1;
  int ifindex_ = 0;
  std::string ifname_;
  proto::Mac mac_;
  bool qdisc_bypass_ = false;
  unsigned version_ = 3;
  unsigned retire_ms_ = 0;
  size_t tx_data_off_ = 0;  // where a TX slot's frame starts
  uint8_t* ring_ = nullptr;
  size_t ring_size_ = 0, rx_size_ = 0;
  // RX (V3): rx_nr_ blocks; rx_cur_ is the block being walked (or waited for), rx_left_ its
  // frames not walked yet at rx_pkt_; rx_done_ blocks before rx_cur_ are walked and go back to
  // the kernel at the next rx(). RX (V2): the same with rx_nr_ slots.
  size_t rx_block_size_ = 0;
  unsigned rx_nr_ = 0, rx_cur_ = 0, rx_done_ = 0;
  uint32_t rx_left_ = 0;
  uint8_t* rx_pkt_ = nullptr;
  // TX: slot tx_head_ is the next frame(); tx_kernel_ the oldest the kernel has not taken.
  unsigned tx_nr_ = 0, tx_head_ = 0, tx_kernel_ = 0, tx_batch_ = 64;
  size_t tx_queued_ = 0, tx_unflushed_ = 0;
  bool tx_cur_ = false;  // frame() returned a slot that send() may fill
  mutable AfPacketStats st_;
};

}  // namespace bs::bench
