#include "key_index.hpp"

#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_lcore.h>

#include <algorithm>
#include <atomic>
#include <string>

namespace bs::dhcp {

namespace {
// rte_hash names are process-wide; every index gets its own.
std::atomic<uint64_t> g_serial{0};
}  // namespace

KeyIndex::~KeyIndex() {
  rte_hash_free(hash_);
}

bool KeyIndex::reset(size_t max_entries) {
  rte_hash_free(hash_);
  hash_ = nullptr;
  max_ = max_entries;
  values_.assign(std::max<size_t>(max_entries, 8), 0);
  std::string name = "bs_keys_" + std::to_string(g_serial.fetch_add(1));
  rte_hash_parameters p{};
  p.name = name.c_str();
  p.entries = uint32_t(values_.size());  // rte_hash wants at least a bucket's worth (8)
  p.key_len = sizeof(uint64_t);
  p.hash_func = rte_hash_crc;
  p.socket_id = int(rte_socket_id());
  p.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE;  // no insert fails below `entries`
  hash_ = rte_hash_create(&p);
  return hash_ != nullptr;
}

bool KeyIndex::insert(uint64_t key, uint32_t value) {
  if (!hash_) return false;
  if (rte_hash_lookup(hash_, &key) < 0 && size() >= max_) return false;
  int32_t pos = rte_hash_add_key(hash_, &key);
  if (pos < 0) return false;
  values_[size_t(pos)] = value;
  return true;
}

const uint32_t* KeyIndex::find(uint64_t key) const {
  if (!hash_) return nullptr;
  int32_t pos = rte_hash_lookup(hash_, &key);
  return pos < 0 ? nullptr : &values_[size_t(pos)];
}

void KeyIndex::erase(uint64_t key) {
  if (hash_) rte_hash_del_key(hash_, &key);
}

size_t KeyIndex::size() const {
  return hash_ ? size_t(rte_hash_count(hash_)) : 0;
}

}  // namespace bs::dhcp
