#include "supervisor.hpp"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <deque>
#include <filesystem>

namespace bs::ctl {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::string find_program(const std::string& subdir, const std::string& name) {
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    fs::path dir = self.parent_path();
    for (fs::path p : {dir / ".." / subdir / name, dir / name})
      if (::access(p.c_str(), X_OK) == 0) return p.lexically_normal().string();
  }
  return name;
}

namespace {

struct Running {
  const Child* child = nullptr;
  pid_t pid = -1;                          // -1 = not running
  Clock::time_point restart_at{};          // when pid == -1 and a restart is due
  std::deque<Clock::time_point> restarts;  // within the last minute
};

pid_t spawn(const Child& c, const sigset_t& old_mask) {
  std::vector<std::string> argv_s{c.program};
  argv_s.insert(argv_s.end(), c.args.begin(), c.args.end());
  std::vector<char*> argv;
  for (auto& s : argv_s) argv.push_back(s.data());
  argv.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::sigprocmask(SIG_SETMASK, &old_mask, nullptr);
    ::execvp(argv[0], argv.data());
    std::fprintf(stderr, "bootstorm-ctl: cannot run %s: %s\n", argv[0], std::strerror(errno));
    ::_exit(127);
  }
  if (pid < 0)
    spdlog::error("fork for {} failed: {}", c.name, std::strerror(errno));
  else
    spdlog::info("started {} (pid {}): {}", c.name, pid, c.program);
  return pid;
}

std::string describe(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status))
    return std::string("was killed by signal ") + std::to_string(WTERMSIG(status)) + " (" +
           strsignal(WTERMSIG(status)) + ")";
  return "stopped";
}

}  // namespace

int supervise(const std::vector<Child>& children, int max_restarts_per_minute) {
  sigset_t mask, old_mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGCHLD);
  ::sigprocmask(SIG_BLOCK, &mask, &old_mask);

  std::vector<Running> run;
  for (const Child& c : children) {
    Running r;
    r.child = &c;
    run.push_back(r);
  }
  for (Running& r : run) r.pid = spawn(*r.child, old_mask);

  bool stopping = false;
  int result = 0;
  Clock::time_point kill_at{};
  while (true) {
    timespec tick{0, 100'000'000};
    int sig = ::sigtimedwait(&mask, nullptr, &tick);
    auto now = Clock::now();
    if ((sig == SIGTERM || sig == SIGINT) && !stopping) {
      spdlog::info("received {}; stopping both processes", sig == SIGTERM ? "SIGTERM" : "SIGINT");
      stopping = true;
      kill_at = now + std::chrono::seconds(10);
      for (Running& r : run)
        if (r.pid > 0) ::kill(r.pid, SIGTERM);
    }
    int status = 0;
    pid_t pid;
    while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) {
      for (Running& r : run) {
        if (r.pid != pid) continue;
        r.pid = -1;
        if (stopping) {
          spdlog::info("{} {}", r.child->name, describe(status));
          continue;
        }
        while (!r.restarts.empty() && now - r.restarts.front() > std::chrono::minutes(1))
          r.restarts.pop_front();
        if (int(r.restarts.size()) >= max_restarts_per_minute) {
          spdlog::error("{} {}; it was restarted {} times within a minute, giving up",
                        r.child->name, describe(status), r.restarts.size());
          stopping = true;
          result = 1;
          kill_at = now + std::chrono::seconds(10);
          for (Running& o : run)
            if (o.pid > 0) ::kill(o.pid, SIGTERM);
        } else {
          spdlog::warn("{} {} unexpectedly; restarting it in 1 s", r.child->name, describe(status));
          r.restart_at = now + std::chrono::seconds(1);
        }
      }
    }
    bool any = false;
    for (Running& r : run) {
      if (r.pid > 0) {
        any = true;
        if (stopping && now >= kill_at) {
          spdlog::warn("{} did not stop within 10 s; sending SIGKILL", r.child->name);
          ::kill(r.pid, SIGKILL);
        }
      } else if (!stopping && r.restart_at != Clock::time_point{} && now >= r.restart_at) {
        r.restart_at = {};
        r.restarts.push_back(now);
        r.pid = spawn(*r.child, old_mask);
        any = true;
      } else if (!stopping) {
        any = true;  // waiting for its restart (or fork failed: try again in 1 s)
        if (r.restart_at == Clock::time_point{}) r.restart_at = now + std::chrono::seconds(1);
      }
    }
    if (stopping && !any) break;
  }
  ::sigprocmask(SIG_SETMASK, &old_mask, nullptr);
  return result;
}

}  // namespace bs::ctl
