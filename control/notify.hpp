// Service notices to systemd for the Type=notify units (debian/bootstorm-*.service):
// READY=1 once a process serves, STOPPING=1 when it begins to stop, STATUS=... for
// `systemctl status`. sd_notify() does nothing when the process was not started by systemd
// (NOTIFY_SOCKET unset: bootstorm-ctl up, the lab, the tests), and the whole call compiles away
// when meson did not find libsystemd (-Dsystemd=disabled).
#pragma once

#if BS_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include <string>

namespace bs {

inline void notify(const std::string& state) {
#if BS_HAVE_SYSTEMD
  sd_notify(0, state.c_str());
#else
  (void)state;
#endif
}

}  // namespace bs
