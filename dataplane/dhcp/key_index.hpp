// An open-addressing hash index from a 64-bit key (a MAC's key(), an IPv4 address) to a slot
// number. Memory is reserved by reset(); insert/find/erase never allocate.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace bs::dhcp {

class KeyIndex {
 public:
  // Drops every entry and reserves room for max_entries keys (load factor <= 1/2). Allocates.
  void reset(size_t max_entries);
  // Adds or overwrites. False only when max_entries keys are already present.
  bool insert(uint64_t key, uint32_t value);
  const uint32_t* find(uint64_t key) const;
  void erase(uint64_t key);
  size_t size() const { return size_; }

 private:
  static constexpr uint64_t kEmpty = ~uint64_t(0);  // no MAC key or IPv4 address is all ones
  struct Entry {
    uint64_t key = kEmpty;
    uint32_t value = 0;
  };
  size_t home(uint64_t key) const;
  size_t locate(
      uint64_t key) const;  // the key's position, or that of the empty entry ending its run

  std::vector<Entry> table_;
  size_t mask_ = 0;
  size_t size_ = 0;
  size_t max_ = 0;
};

}  // namespace bs::dhcp
