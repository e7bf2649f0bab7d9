// An index from a 64-bit key (a MAC's key(), an IPv4 address) to a slot number: DPDK's rte_hash
// (cuckoo, with extendable buckets so every reserved entry fits) plus a value per hash position.
// Memory is reserved by reset(); insert/find/erase never allocate. Needs the EAL.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

struct rte_hash;

namespace bs::dhcp {

class KeyIndex {
 public:
  KeyIndex() = default;
  ~KeyIndex();
  KeyIndex(const KeyIndex&) = delete;
  KeyIndex& operator=(const KeyIndex&) = delete;

  // Drops every entry and reserves room for max_entries keys. Allocates. False when the hash
  // cannot be created (EAL memory exhausted); the index is then empty and refuses inserts.
  bool reset(size_t max_entries);
  // Adds or overwrites. False when max_entries keys are already present.
  bool insert(uint64_t key, uint32_t value);
  const uint32_t* find(uint64_t key) const;
  void erase(uint64_t key);
  size_t size() const;

 private:
  rte_hash* hash_ = nullptr;
  std::vector<uint32_t> values_;  // indexed by the position rte_hash gives a key
  size_t max_ = 0;
};

}  // namespace bs::dhcp
