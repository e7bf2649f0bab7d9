// The TFTP transfers of one worker: one slot per server port of a dedicated range, all
// allocated at construction. A port indexes its slot directly; free slots are handed out in
// FIFO order, so a just-closed port is reused as late as possible (a late packet of a finished
// transfer then finds no session instead of a stranger's).
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "../proto/tftp.hpp"
#include "../proto/tftp_path.hpp"
#include "session.hpp"

namespace bs::tftp {

struct Peer {
  proto::Mac mac;
  proto::Ip4 ip = 0;
  uint16_t port = 0;
};

struct Transfer {  // one slot of the table
  Session session;
  Peer peer;
  uint16_t local_port = 0;     // the transfer's server port
  uint32_t index = 0;          // slot index (the worker keeps per-slot timers in a parallel array)
  proto::TftpPath path;        // sanitised file path (see dataplane/proto/tftp_path.hpp)
  proto::TftpOptions options;  // as requested (kept while the file is being loaded)
  uint64_t start_us = 0;
  uint64_t armed_us = 0;                 // when the slot's timer fires (0: not armed)
  std::unique_ptr<uint8_t[]> converted;  // netascii: the file as sent
  void* user = nullptr;                  // the worker's (cache entry)
  bool active = false;                   // false while waiting for the loader
  bool netascii = false;                 // mode "netascii": line endings converted
};

class SessionTable {
 public:
  SessionTable(uint16_t port_min, uint16_t port_max);  // all slots allocated here
  // The next free port in FIFO order (initially ascending), reset to a fresh Transfer with
  // local_port, index and start_us set; nullptr when full.
  Transfer* open(uint64_t now_us);
  Transfer* find(uint16_t local_port);  // O(1); nullptr unless open
  Transfer* at(uint32_t index);         // nullptr unless open
  void close(Transfer* t);              // closing a closed slot does nothing
  size_t size() const { return size_; }
  size_t capacity() const { return slots_.size(); }

 private:
  uint16_t port_min_;
  std::vector<Transfer> slots_;
  std::vector<uint8_t> open_;    // per slot
  std::vector<uint32_t> free_;   // ring of free slot indexes, capacity() long
  size_t head_ = 0, count_ = 0;  // free_ ring: next to hand out, how many
  size_t size_ = 0;
};

}  // namespace bs::tftp
