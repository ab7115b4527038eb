#include "dockling/mount.hpp"

#include <sys/mount.h>

#include <utility>

#include "dockling/error.hpp"

namespace dockling {

Mount::Mount(const std::string& source, const std::string& target, const std::string& fstype,
             unsigned long flags, const std::string& data) {
  check(::mount(source.c_str(), target.c_str(), fstype.empty() ? nullptr : fstype.c_str(), flags,
                data.empty() ? nullptr : data.c_str()),
        "mount", target);
  target_ = target;
}

Mount::Mount(Mount&& other) noexcept : target_(std::exchange(other.target_, {})) {}

Mount::~Mount() {
  if (!target_.empty()) ::umount2(target_.c_str(), MNT_DETACH);
}

}  // namespace dockling
