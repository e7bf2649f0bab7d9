// bootstorm-ctl status: the running appliance's counters and drops by reason, from the control
// process's /status (HTTP on the appliance address), as a table or the raw JSON.
#pragma once
#include "../control/config.hpp"

namespace bs::ctl {

int show_status(const config::Config& cfg, bool as_json);

}  // namespace bs::ctl
