#include <stdexcept>
#include <string>
#include <vector>

#include "images.hpp"

namespace dockling::ch10 {

namespace {

/// `path` with a '\' before each character overlay's option parser would split at.
std::string escaped(const std::string& path) {
  std::string text;
  for (char c : path) {
    if (c == ',' || c == ':' || c == '\\') text += '\\';
    text += c;
  }
  return text;
}

}  // namespace

std::string overlay_mount_options(const std::vector<std::string>& layers, const std::string& upper,
                                  const std::string& work) {
  if (layers.empty()) throw std::invalid_argument("overlay needs at least one lower directory");
  std::string lower;
  for (auto it = layers.rbegin(); it != layers.rend(); ++it) {
    if (!lower.empty()) lower += ':';
    lower += escaped(*it);
  }
  return "lowerdir=" + lower + ",upperdir=" + escaped(upper) + ",workdir=" + escaped(work);
}

}  // namespace dockling::ch10
