#include "exec_error.hpp"

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace dockling::ch00 {

Error exec_failure(const std::string& command, int err) {
  if (err == ENOENT) {
    // Docker's words: a bare name was looked up in $PATH, a path was taken as it is.
    bool searched = command.find('/') == std::string::npos;
    return Error(fmt::format("exec \"{}\": {}", command,
                             searched ? "executable file not found in $PATH" : "no such file or directory"),
                 kExitNotFound);
  }
  return Error(fmt::format("exec \"{}\": {}", command, std::strerror(err)), kExitCannotRun);
}

}  // namespace dockling::ch00
