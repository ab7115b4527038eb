#include "dockling/error.hpp"

#include <cstring>

#include <fmt/format.h>

namespace dockling {

namespace {
std::string describe(const std::string& call, const std::string& argument, int err) {
  if (argument.empty()) return fmt::format("{}: {}", call, std::strerror(err));
  return fmt::format("{}(\"{}\"): {}", call, argument, std::strerror(err));
}
}  // namespace

SysError::SysError(std::string call, std::string argument, int err)
    : Error(describe(call, argument, err)),
      call_(std::move(call)),
      argument_(std::move(argument)),
      errno_(err) {}

void throw_sys(std::string_view call, std::string_view argument) {
  throw SysError(std::string(call), std::string(argument), errno);
}

NotImplemented::NotImplemented(std::string_view function, std::string_view file)
    : Error(fmt::format("exercise {} is not implemented yet (see {})", function, file)) {}

}  // namespace dockling
