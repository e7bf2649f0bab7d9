// One log format for bootstorm's control-side programs, on stderr and grep-friendly:
//   2026-11-22 18:01:02.123 bootstorm-control: DHCPACK on 10.77.0.11 to 52:54:00:12:34:56 ...
//   2026-11-22 18:01:02.125 bootstorm-control: warning: dataplane not reachable at ...
#pragma once

namespace bs::control {

void setup_logging(const char* program);

}  // namespace bs::control
