// Where the peers (umoci, skopeo, tar) are: chapter 10's tests run them.
#pragma once

#include <unistd.h>

#include <string>

namespace dockling::ch10::testing {

/// The path of a program in the usual system directories, or "" when there is none.
inline std::string which(const std::string& program) {
  for (const char* dir : {"/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"}) {
    std::string path = std::string(dir) + "/" + program;
    if (::access(path.c_str(), X_OK) == 0) return path;
  }
  return "";
}

}  // namespace dockling::ch10::testing
