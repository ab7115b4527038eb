/// @file mount.hpp
/// @brief RAII for mounts: what is mounted is detached again when the owner goes away.
#pragma once

#include <string>

namespace dockling {

/// A mount that is lazily unmounted (MNT_DETACH) when destroyed, unless released.
class Mount {
 public:
  /// Calls mount(2); throws SysError naming the target on failure.
  /// @param source what to mount (a device, a directory for MS_BIND, or a name like "proc")
  /// @param target the mount point
  /// @param fstype the file system type, or empty for bind mounts and remounts
  /// @param flags MS_* flags
  /// @param data file-system options, e.g. "mode=755"
  Mount(const std::string& source, const std::string& target, const std::string& fstype,
        unsigned long flags, const std::string& data = {});
  /// Takes over the mount at `target`, made another way (the new mount API's move_mount(2)).
  static Mount adopt(const std::string& target) noexcept { return Mount(target); }
  /// Takes over `other`'s mount.
  Mount(Mount&& other) noexcept;
  Mount& operator=(Mount&&) = delete;
  Mount(const Mount&) = delete;
  Mount& operator=(const Mount&) = delete;
  ~Mount();

  /// The mount point.
  const std::string& target() const noexcept { return target_; }
  /// Keeps the mount: the destructor will not unmount it.
  void release() noexcept { target_.clear(); }

 private:
  explicit Mount(const std::string& target) noexcept : target_(target) {}
  std::string target_;
};

}  // namespace dockling
