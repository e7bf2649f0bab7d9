// The authoritative DHCP server (RFC 2131/2132 + PXE): one per worker, pure logic over parsed
// requests; the worker does the framing and sends what handle() writes.
#pragma once
#include <cstddef>
#include <cstdint>

#include "../events.hpp"
#include "../proto/dhcp.hpp"
#include "../proto/drop.hpp"
#include "../snapshot/snapshot.hpp"
#include "lease_pool.hpp"
#include "reply.hpp"

namespace bs::dhcp {

struct Outcome {
  size_t len = 0;  // DHCP payload bytes written into out; 0 = no reply
  ReplyTarget to;
  // Why there is no reply when len == 0. Drop::none with len == 0 means the request was handled
  // and needs no answer (RELEASE, DECLINE).
  Drop drop = Drop::none;
};

// Where binding changes are reported. The durable lease journal (a later issue) implements this;
// it will then also have to hold the DHCPACK back until the record is committed.
class LeaseObserver {
 public:
  virtual ~LeaseObserver() = default;
  virtual void bound(const Lease& l) = 0;  // called before the ACK is written
  virtual void freed(const Lease& l) = 0;  // release or decline (l as it was)
};

class Server {
 public:
  static constexpr uint32_t kOfferHoldSeconds = 60;

  Server(EventSink& events, uint8_t worker_id);
  // The snapshot outlives its use (the worker keeps it alive). Leases survive a swap (kept by
  // MAC) when still inside a pool; memory for the lease table and bitmaps is reserved here.
  // nullptr: no configuration (requests are dropped; leases are kept for the next snapshot).
  void set_snapshot(const snap::Snapshot* s);
  void set_observer(LeaseObserver* o) { observer_ = o; }
  // One parsed request that arrived on UDP port 67 from src_ip; now_s = monotonic seconds.
  Outcome handle(const proto::DhcpMessage& m, proto::Ip4 src_ip, uint64_t now_s,
                 proto::MutBytes out);
  const Lease* lease(const proto::Mac& mac) const { return pool_.find(mac); }
  const LeasePool& leases() const { return pool_; }

 private:
  Outcome discover(const proto::DhcpMessage& m, uint64_t now_s, proto::MutBytes out);
  Outcome request(const proto::DhcpMessage& m, uint64_t now_s, proto::MutBytes out);
  Outcome release(const proto::DhcpMessage& m);
  Outcome decline(const proto::DhcpMessage& m, uint64_t now_s);
  Outcome inform(const proto::DhcpMessage& m, proto::Ip4 src_ip, proto::MutBytes out);

  // Giaddr's pool; else (when by_ciaddr) ciaddr's; else the pool of the server's own subnet.
  int select_pool(const proto::DhcpMessage& m, bool by_ciaddr) const;
  // The lease this client may be ACKed for address a in pool pi: its reservation there, or its
  // current offered/bound lease; nullptr when a is not this client's.
  Lease* record_for(const proto::DhcpMessage& m, int pi, proto::Ip4 a);
  Outcome ack(const proto::DhcpMessage& m, int pi, Lease* l, uint64_t now_s, proto::MutBytes out);
  Outcome nak(const proto::DhcpMessage& m, std::string_view why, proto::MutBytes out);
  Outcome no_reply(Drop d) const {
    Outcome o;
    o.drop = d;
    return o;
  }
  Reply reply_for(const proto::DhcpMessage& m, uint8_t type, const snap::Pool* pool) const;
  void emit(EventType t, const proto::Mac& mac, proto::Ip4 ip, uint16_t code = 0,
            std::string_view text = {});

  EventSink& events_;
  uint8_t worker_;
  const snap::Snapshot* snap_ = nullptr;
  LeaseObserver* observer_ = nullptr;
  LeasePool pool_;
  char server_text_buf_[16] = {};
  std::string_view server_text_;
};

}  // namespace bs::dhcp
