#include "support/log_capture.h"

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "locksmith/log.h"

namespace locksmith::testing {

LogCapture::LogCapture() : stream_(std::make_shared<std::ostringstream>()) {
  sink_ = std::make_shared<spdlog::sinks::ostream_sink_mt>(*stream_);
  auto logger = Logger();
  logger->sinks().push_back(sink_);
  logger->set_level(spdlog::level::trace);
}

LogCapture::~LogCapture() {
  auto& sinks = Logger()->sinks();
  sinks.erase(std::remove(sinks.begin(), sinks.end(), sink_), sinks.end());
}

std::string LogCapture::Text() const {
  Logger()->flush();
  return stream_->str();
}

}  // namespace locksmith::testing
