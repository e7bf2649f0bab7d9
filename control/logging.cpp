#include "logging.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <string>

namespace bs::control {

namespace {

// "%*": nothing for info, "warning: " / "error: " / "debug: " otherwise.
class LevelPrefix : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    if (msg.level == spdlog::level::info) return;
    std::string s = msg.level == spdlog::level::warn  ? "warning: "
                    : msg.level >= spdlog::level::err ? "error: "
                                                      : "debug: ";
    dest.append(s.data(), s.data() + s.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return spdlog::details::make_unique<LevelPrefix>();
  }
};

}  // namespace

void setup_logging(const char* program) {
  auto logger =
      std::make_shared<spdlog::logger>(program, std::make_shared<spdlog::sinks::stderr_sink_mt>());
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  formatter->add_flag<LevelPrefix>('*').set_pattern(std::string("%Y-%m-%d %H:%M:%S.%e ") + program +
                                                    ": %*%v");
  logger->set_formatter(std::move(formatter));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

}  // namespace bs::control
