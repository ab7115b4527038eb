#include "paths.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "container_mounts.hpp"
#include "dockling/error.hpp"
#include "dockling/fd.hpp"
#include "dockling/log.hpp"
#include "in_root.hpp"

namespace dockling::ch09 {

namespace {

void scan(const std::string& dir, int depth, std::vector<HostDevice>& out) {
  DIR* stream = ::opendir(dir.c_str());
  if (stream == nullptr) return;
  while (const dirent* entry = ::readdir(stream)) {
    std::string name = entry->d_name;
    if (name == "." || name == "..") continue;
    std::string path = dir + "/" + name;
    if (depth == 0 && (name == "pts" || name == "shm" || name == "mqueue")) continue;
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) continue;
    if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
      out.push_back({path, st.st_mode, st.st_rdev, st.st_uid, st.st_gid});
    } else if (S_ISDIR(st.st_mode) && depth == 0) {
      scan(path, depth + 1, out);
    }
  }
  ::closedir(stream);
}

}  // namespace

std::vector<HostDevice> host_devices() {
  std::vector<HostDevice> devices;
  scan("/dev", 0, devices);
  return devices;
}

void create_devices(const std::vector<HostDevice>& devices) {
  for (const auto& device : devices) {
    if (::access(device.path.c_str(), F_OK) == 0) continue;  // chapter 03 made it already
    std::filesystem::path parent = std::filesystem::path(device.path).parent_path();
    std::error_code ignored;
    std::filesystem::create_directories(parent, ignored);
    check(::mknod(device.path.c_str(), device.mode, device.rdev), "mknod", device.path);
    check(::chmod(device.path.c_str(), device.mode & 07777), "chmod", device.path);
    check(::chown(device.path.c_str(), device.uid, device.gid), "chown", device.path);
  }
}

}  // namespace dockling::ch09
