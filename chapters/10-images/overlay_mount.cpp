#include "overlay_mount.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include <fmt/format.h>

#include "dockling/error.hpp"
#include "dockling/fd.hpp"
#include "dockling/log.hpp"
#include "images.hpp"

namespace fs = std::filesystem;

namespace dockling::ch10 {

namespace {

/// mount(2)'s data must fit in one page.
constexpr size_t kMountDataMax = 4095;

/// The layers added one by one with the new mount API; false when the kernel has no
/// `lowerdir+` (before 6.8: fsconfig says EINVAL).
bool mount_with_lowerdir_plus(const std::vector<std::string>& lowers, const fs::path& upper, const fs::path& work,
                              const fs::path& target, bool userxattr) {
  const char* disabled = std::getenv("DOCKLING_NO_LOWERDIR_PLUS");
  if (disabled != nullptr && std::string(disabled) == "1") return false;
  int raw = ::fsopen("overlay", FSOPEN_CLOEXEC);
  if (raw < 0) return false;
  UniqueFd context(raw);
  // Top layer first, as in lowerdir=.
  for (auto it = lowers.rbegin(); it != lowers.rend(); ++it)
    if (::fsconfig(context.get(), FSCONFIG_SET_STRING, "lowerdir+", it->c_str(), 0) != 0) {
      if (errno == EINVAL && it == lowers.rbegin()) return false;  // no such option here
      throw SysError("fsconfig(lowerdir+)", *it, errno);
    }
  check(::fsconfig(context.get(), FSCONFIG_SET_STRING, "upperdir", upper.c_str(), 0), "fsconfig(upperdir)",
        upper.string());
  check(::fsconfig(context.get(), FSCONFIG_SET_STRING, "workdir", work.c_str(), 0), "fsconfig(workdir)", work.string());
  if (userxattr)
    check(::fsconfig(context.get(), FSCONFIG_SET_FLAG, "userxattr", nullptr, 0), "fsconfig(userxattr)", "overlay");
  check(::fsconfig(context.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0), "fsconfig(create)", "overlay");
  UniqueFd mount(check(::fsmount(context.get(), FSMOUNT_CLOEXEC, 0), "fsmount", "overlay"));
  check(::move_mount(mount.get(), "", AT_FDCWD, target.c_str(), MOVE_MOUNT_F_EMPTY_PATH), "move_mount",
        target.string());
  return true;
}

/// ROOT/layers/l/HEX12 → ../HEX for each layer; the names relative to `layers_dir`.
std::vector<std::string> short_links(const std::vector<std::string>& lowers, const fs::path& layers_dir) {
  fs::path links = layers_dir / kShortLinksDir;
  if (::mkdir(links.c_str(), 0755) != 0 && errno != EEXIST) throw SysError("mkdir", links.string(), errno);
  std::vector<std::string> names;
  for (const auto& lower : lowers) {
    std::string layer = fs::path(lower).filename().string();
    std::string target = "../" + layer;
    // Twelve hex digits, more in the unlikely case two layers share them.
    for (size_t length = 12;; length += 4) {
      if (length > layer.size()) throw Error(fmt::format("no short link name for layer {}", layer));
      fs::path link = links / layer.substr(0, length);
      if (::symlink(target.c_str(), link.c_str()) != 0 && errno != EEXIST)
        throw SysError("symlink", link.string(), errno);
      std::error_code error;
      if (fs::read_symlink(link, error) == target) {
        names.push_back(std::string(kShortLinksDir) + "/" + layer.substr(0, length));
        break;
      }
    }
  }
  return names;
}

}  // namespace

Mount mount_overlay(const std::vector<std::string>& lowers, const fs::path& upper, const fs::path& work,
                    const fs::path& target, const fs::path& layers_dir, OverlayMethod& method, bool userxattr) {
  const std::string extra = userxattr ? ",userxattr" : "";
  std::string options = overlay_mount_options(lowers, upper.string(), work.string()) + extra;
  if (options.size() <= kMountDataMax) {
    method = OverlayMethod::options;
    return Mount("overlay", target.string(), "overlay", 0, options);
  }
  if (mount_with_lowerdir_plus(lowers, upper, work, target, userxattr)) {
    method = OverlayMethod::lowerdir_plus;
    return Mount::adopt(target.string());
  }
  // overlay resolves relative lower directories from the caller's working directory.
  options = overlay_mount_options(short_links(lowers, layers_dir), upper.string(), work.string()) + extra;
  if (options.size() > kMountDataMax)
    throw Error(fmt::format("{} layers are too many for one overlay mount, even through short links ({} bytes of "
                            "options, at most {})",
                            lowers.size(), options.size(), kMountDataMax));
  UniqueFd cwd = open_fd(".", O_PATH | O_DIRECTORY);
  check(::chdir(layers_dir.c_str()), "chdir", layers_dir.string());
  int rc = ::mount("overlay", target.c_str(), "overlay", 0, options.c_str());
  int error = errno;
  check(::fchdir(cwd.get()), "fchdir", "the working directory");
  if (rc != 0) throw SysError("mount", target.string(), error);
  method = OverlayMethod::short_links;
  return Mount::adopt(target.string());
}

}  // namespace dockling::ch10
