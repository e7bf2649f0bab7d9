#include "key_index.hpp"

namespace bs::dhcp {

void KeyIndex::reset(size_t max_entries) {
  size_t cap = 8;
  while (cap < 2 * max_entries) cap <<= 1;
  table_.assign(cap, Entry{});
  mask_ = cap - 1;
  size_ = 0;
  max_ = max_entries;
}

size_t KeyIndex::home(uint64_t key) const {
  // splitmix64's finaliser: MAC keys share their OUI, so the low bits alone hash badly.
  key ^= key >> 30;
  key *= 0xbf58476d1ce4e5b9ull;
  key ^= key >> 27;
  key *= 0x94d049bb133111ebull;
  key ^= key >> 31;
  return size_t(key) & mask_;
}

size_t KeyIndex::locate(uint64_t key) const {
  size_t i = home(key);
  while (table_[i].key != kEmpty && table_[i].key != key) i = (i + 1) & mask_;
  return i;
}

bool KeyIndex::insert(uint64_t key, uint32_t value) {
  if (table_.empty() || key == kEmpty) return false;
  size_t i = locate(key);
  if (table_[i].key == key) {
    table_[i].value = value;
    return true;
  }
  if (size_ >= max_) return false;
  table_[i] = Entry{key, value};
  ++size_;
  return true;
}

const uint32_t* KeyIndex::find(uint64_t key) const {
  if (table_.empty() || key == kEmpty) return nullptr;
  size_t i = locate(key);
  return table_[i].key == key ? &table_[i].value : nullptr;
}

void KeyIndex::erase(uint64_t key) {
  if (table_.empty() || key == kEmpty) return;
  size_t i = locate(key);
  if (table_[i].key != key) return;
  // Backward-shift deletion keeps every remaining key reachable from its home without tombstones.
  size_t j = i;
  for (;;) {
    j = (j + 1) & mask_;
    if (table_[j].key == kEmpty) break;
    size_t k = home(table_[j].key);
    bool stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
    if (stays) continue;
    table_[i] = table_[j];
    i = j;
  }
  table_[i] = Entry{};
  --size_;
}

}  // namespace bs::dhcp
