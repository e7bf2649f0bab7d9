// Compiles a loaded Config and its rendered files into the immutable snapshot the dataplane serves.
#pragma once
#include <cstdint>

#include "../dataplane/snapshot/snapshot.hpp"
#include "config.hpp"
#include "render.hpp"

namespace bs::control {

// generation: a strictly increasing number (bootstorm-control uses the load time in
// microseconds since the epoch, so a restarted control process still counts upwards).
snap::Snapshot build_snapshot(const config::Config& cfg, const Rendered& rendered,
                              uint64_t generation);

}  // namespace bs::control
