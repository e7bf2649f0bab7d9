#include "events.hpp"

namespace bs {

const char* event_name(EventType t) {
  switch (t) {
#define BS_X(name, text) \
  case EventType::name:  \
    return #name;
    BS_EVENT_TYPES(BS_X)
#undef BS_X
    default:
      return "?";
  }
}

}  // namespace bs
