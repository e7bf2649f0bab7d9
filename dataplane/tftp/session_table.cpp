#include "session_table.hpp"

namespace bs::tftp {

SessionTable::SessionTable(uint16_t port_min, uint16_t port_max) : port_min_(port_min) {
  const size_t n = port_max >= port_min ? size_t(port_max) - port_min + 1 : 0;
  slots_.resize(n);
  open_.assign(n, 0);
  free_.resize(n);
  for (size_t i = 0; i < n; ++i) free_[i] = uint32_t(i);
  count_ = n;
}

Transfer* SessionTable::open(uint64_t now_us) {
  if (count_ == 0) return nullptr;
  const uint32_t i = free_[head_];
  head_ = (head_ + 1) % free_.size();
  --count_;
  Transfer& t = slots_[i];
  t = Transfer{};
  t.local_port = uint16_t(port_min_ + i);
  t.index = i;
  t.start_us = now_us;
  open_[i] = 1;
  ++size_;
  return &t;
}

Transfer* SessionTable::find(uint16_t local_port) {
  if (local_port < port_min_) return nullptr;
  return at(uint32_t(local_port - port_min_));
}

Transfer* SessionTable::at(uint32_t index) {
  if (index >= slots_.size() || !open_[index]) return nullptr;
  return &slots_[index];
}

void SessionTable::close(Transfer* t) {
  if (!t || t < slots_.data() || t >= slots_.data() + slots_.size()) return;
  const size_t i = size_t(t - slots_.data());
  if (!open_[i]) return;
  open_[i] = 0;
  --size_;
  free_[(head_ + count_) % free_.size()] = uint32_t(i);
  ++count_;
  t->user = nullptr;
  t->active = false;
  t->converted.reset();
}

}  // namespace bs::tftp
