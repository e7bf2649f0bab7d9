// bootstorm-ctl leases: the leases on disk (the dataplane's journal in state_dir, read without
// disturbing the running dataplane), as a table or JSON.
#pragma once
#include "../control/config.hpp"

namespace bs::ctl {

// Prints the live leases; 1 (with a message) when the journal cannot be read.
int list_leases(const config::Config& cfg, bool as_json);

}  // namespace bs::ctl
