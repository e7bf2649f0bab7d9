// bootstorm-ctl up: runs bootstorm-dataplane and bootstorm-control as children in the
// foreground (their output passes through), restarts one that dies unexpectedly after 1 s
// (at most max_restarts_per_minute times each, the other keeps running), and on SIGTERM or
// SIGINT sends both SIGTERM, waits up to 10 s, then SIGKILLs what is left.
#pragma once
#include <string>
#include <vector>

namespace bs::ctl {

struct Child {
  std::string name;               // for messages, e.g. "bootstorm-dataplane"
  std::string program;            // a path, or a bare name looked up in PATH
  std::vector<std::string> args;  // without argv[0]
};

// Where a sibling binary lives: <dir of /proc/self/exe>/../<subdir>/<name> (the build tree),
// else <dir of /proc/self/exe>/<name> (installed side by side), else <name> (found in PATH).
std::string find_program(const std::string& subdir, const std::string& name);

// Returns the exit code for bootstorm-ctl: 0 after a stop signal, 1 when a child kept dying.
int supervise(const std::vector<Child>& children, int max_restarts_per_minute);

}  // namespace bs::ctl
