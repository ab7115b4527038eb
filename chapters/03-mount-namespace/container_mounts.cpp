#include "container_mounts.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <sstream>

#include <fmt/format.h>

#include "dockling/error.hpp"
#include "dockling/fs.hpp"
#include "dockling/log.hpp"
#include "in_root.hpp"

namespace dockling::ch03 {

const std::vector<std::string> kMaskedPaths = {
    "/proc/asound",        // sound cards: readable state, some files write to the hardware
    "/proc/acpi",          // ACPI tables and controls of the host's firmware
    "/proc/kcore",         // the host's physical memory, as an ELF core file
    "/proc/keys",          // the kernel's keyrings (names of keys of every user)
    "/proc/latency_stats", // per-task latency, a side channel
    "/proc/timer_list",    // every pending timer of the host, with its task names and pids
    "/proc/timer_stats",   // the same, older kernels
    "/proc/sched_debug",   // the scheduler's view of every host task
    "/proc/scsi",          // SCSI devices; writes can add or remove them
    "/sys/firmware",       // firmware tables (ACPI, EFI variables, DMI with serial numbers)
};

const std::vector<std::string> kReadOnlyPaths = {
    "/proc/bus",            // PCI/USB config space of the host's devices
    "/proc/fs",             // filesystem knobs (nfsd, ...)
    "/proc/irq",            // interrupt routing (smp_affinity) of the host
    "/proc/sys",            // sysctls: kernel.*, vm.*, most of them not namespaced
    "/proc/sysrq-trigger",  // one write reboots or crashes the host
};

TmpfsMount parse_tmpfs(const std::string& spec) {
  size_t colon = spec.find(':');
  TmpfsMount tmpfs{spec.substr(0, colon), MS_NOEXEC | MS_NOSUID | MS_NODEV, {}};
  if (tmpfs.path.empty() || tmpfs.path.front() != '/')
    throw Error(fmt::format("invalid --tmpfs \"{}\": the mount path must be absolute", spec));
  if (colon == std::string::npos) return tmpfs;

  struct Flag {
    const char* name;
    unsigned long flag;
    bool set;
  };
  static constexpr Flag kFlags[] = {
      {"ro", MS_RDONLY, true},  {"rw", MS_RDONLY, false},    {"noexec", MS_NOEXEC, true},
      {"exec", MS_NOEXEC, false}, {"nosuid", MS_NOSUID, true}, {"suid", MS_NOSUID, false},
      {"nodev", MS_NODEV, true},  {"dev", MS_NODEV, false},
  };
  std::string options = spec.substr(colon + 1);
  size_t start = 0;
  while (start <= options.size()) {
    size_t end = options.find(',', start);
    if (end == std::string::npos) end = options.size();
    std::string option = options.substr(start, end - start);
    start = end + 1;
    if (option.empty()) continue;
    bool is_flag = false;
    for (const auto& flag : kFlags) {
      if (option != flag.name) continue;
      tmpfs.flags = flag.set ? (tmpfs.flags | flag.flag) : (tmpfs.flags & ~flag.flag);
      is_flag = true;
    }
    if (!is_flag) tmpfs.data += (tmpfs.data.empty() ? "" : ",") + option;  // for tmpfs itself
  }
  return tmpfs;
}

void make_mounts_private() {
  // CLONE_NEWNS copied the host's mounts, and with them their propagation: a "shared" mount
  // (systemd makes / shared) would send our mounts back to the host's copy.
  check(::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr), "mount", "/ (MS_REC|MS_PRIVATE)");
}

bool in_user_namespace() {
  std::string map;
  try {
    map = read_file("/proc/self/uid_map");
  } catch (const Error&) {
    return false;  // no /proc: certainly not the user namespace setup of chapter 07
  }
  // The host's map is "0 0 4294967295": every id maps to itself.
  unsigned long inside = 1, outside = 1, count = 0;
  return std::sscanf(map.c_str(), "%lu %lu %lu", &inside, &outside, &count) != 3 || inside != 0 ||
         outside != 0 || count != 4294967295UL;
}

UniqueFd copy_mount_tree(const char* path, unsigned flags) {
  int fd = ::open_tree(AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | flags);
  if (fd < 0 && errno == ENOENT) return UniqueFd();
  return UniqueFd(check(fd, "open_tree", path));
}

void attach_mount_tree(const UniqueFd& tree, int target_fd, const std::string& name) {
  check(::move_mount(tree.get(), "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH),
        "move_mount", name);
}

void mount_proc(int root_fd, const HostTrees& host) {
  UniqueFd target = open_in_root(root_fd, "/proc", O_DIRECTORY);
  if (host.new_proc) {
    log::debug("child: proc of this PID namespace, made before pivot_root");
    attach_mount_tree(host.new_proc, target.get(), "/proc");
    return;
  }
  // /proc/self/fd/N needs a /proc, which is what we are mounting: mount on our working
  // directory instead, after moving it to the directory openat2 resolved.
  check(::fchdir(target.get()), "fchdir", "/proc");
  if (::mount("proc", ".", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0) {
    // In a user namespace that does not own its PID namespace the kernel refuses a new
    // proc: show the host's (the processes seen are the host's anyway).
    if (errno != EPERM || !host.proc) throw_sys("mount", "/proc");
    log::debug("child: proc refused in this user namespace: the host's /proc, bound");
    attach_mount_tree(host.proc, target.get(), "/proc");
  }
  check(::chdir("/"), "chdir", "/");
}

void mount_sys(int root_fd, bool read_only, const HostTrees& host) {
  UniqueFd target = open_in_root(root_fd, "/sys", O_DIRECTORY);
  if (host.new_sys) {
    log::debug("child: sysfs of this network namespace, made before pivot_root");
    if (read_only) {
      mount_attr attributes{};
      attributes.attr_set = MOUNT_ATTR_RDONLY;
      check(::mount_setattr(host.new_sys.get(), "", AT_EMPTY_PATH, &attributes, sizeof attributes), "mount_setattr",
            "/sys (read-only)");
    }
    attach_mount_tree(host.new_sys, target.get(), "/sys");
    return;
  }
  try {
    mount_on(target.get(), "/sys", "sysfs", "sysfs", (read_only ? MS_RDONLY : 0) | MS_NOSUID | MS_NODEV | MS_NOEXEC);
  } catch (const SysError& e) {
    // sysfs wants the owner of the network namespace (chapter 04): in a user namespace
    // without one, runc binds the host's /sys read-only. So do we.
    if (e.error_number() != EPERM || !host.sys) throw;
    log::debug("child: sysfs refused in this user namespace: the host's /sys, bound read-only");
    attach_mount_tree(host.sys, target.get(), "/sys");
  }
}

namespace {

struct Device {
  const char* name;
  unsigned major, minor;
};

// The devices every container gets (docker's defaults), as character devices.
constexpr Device kDevices[] = {
    {"null", 1, 3}, {"zero", 1, 5}, {"full", 1, 7}, {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0},
};

// Links every program expects in /dev.
constexpr std::pair<const char*, const char*> kDevLinks[] = {
    {"fd", "/proc/self/fd"},          {"stdin", "/proc/self/fd/0"}, {"stdout", "/proc/self/fd/1"},
    {"stderr", "/proc/self/fd/2"},    {"ptmx", "pts/ptmx"},
};

/// Mounts `fstype` on the directory /dev/NAME, which it creates in the fresh /dev tmpfs.
/// Where the kernel refuses the mount (EPERM) and `fallback` holds a copy of the host's
/// tree, attaches the copy instead.
void mount_dev_dir(int dev_fd, const char* name, const char* fstype, unsigned long flags, const std::string& data,
                   const UniqueFd& fallback = UniqueFd()) {
  std::string path = fmt::format("/dev/{}", name);
  check(::mkdirat(dev_fd, name, 0755), "mkdir", path);
  UniqueFd target(check(::openat(dev_fd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), "open", path));
  try {
    mount_on(target.get(), path, fstype, fstype, flags, data);
  } catch (const SysError& e) {
    if (e.error_number() != EPERM || !fallback) throw;
    log::debug("child: {} refused in this user namespace: the host's, bound", path);
    attach_mount_tree(fallback, target.get(), path);
  }
}

/// True when group `gid` exists in our user namespace (always in the host's): /proc/self/gid_map
/// lines are "INSIDE OUTSIDE COUNT".
bool group_is_mapped(unsigned long gid) {
  std::string map;
  try {
    map = read_file("/proc/self/gid_map");
  } catch (const Error&) {
    return true;
  }
  std::istringstream lines(map);
  unsigned long inside = 0, outside = 0, count = 0;
  while (lines >> inside >> outside >> count)
    if (gid >= inside && gid - inside < count) return true;
  return false;
}

/// A new mount of file system `type`, detached (fsopen, fsmount; nosuid, nodev, noexec);
/// empty when the kernel refuses it.
UniqueFd detached_mount(const char* type) {
  UniqueFd context(::fsopen(type, FSOPEN_CLOEXEC));
  int mount = -1;
  if (context && ::fsconfig(context.get(), FSCONFIG_SET_STRING, "source", type, 0) == 0 &&
      ::fsconfig(context.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) == 0)
    mount = ::fsmount(context.get(), FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
  if (mount < 0) log::debug("child: a new {} refused here: {}", type, std::strerror(errno));
  return UniqueFd(mount);
}

}  // namespace

HostTrees HostTrees::capture() {
  HostTrees host;
  host.new_proc = detached_mount("proc");
  host.new_sys = detached_mount("sysfs");
  // The host's, where a new one is refused: recursive, the kernel locks submounts to their parent.
  if (!host.new_proc) host.proc = copy_mount_tree("/proc", AT_RECURSIVE);
  if (!host.new_sys) host.sys = copy_mount_tree("/sys", AT_RECURSIVE);
  if (host.sys) {
    mount_attr read_only{};
    read_only.attr_set = MOUNT_ATTR_RDONLY;
    check(::mount_setattr(host.sys.get(), "", AT_EMPTY_PATH | AT_RECURSIVE, &read_only, sizeof read_only),
          "mount_setattr", "/sys (read-only)");
  }
  host.mqueue = copy_mount_tree("/dev/mqueue", 0);
  for (const auto& device : kDevices) {
    std::string path = fmt::format("/dev/{}", device.name);
    if (UniqueFd copy = copy_mount_tree(path.c_str(), 0)) host.devices.emplace_back(device.name, std::move(copy));
  }
  return host;
}

void mount_dev(int root_fd, const HostTrees& host) {
  UniqueFd target = open_in_root(root_fd, "/dev", O_DIRECTORY);
  // Not nodev: this tmpfs holds the device nodes.
  mount_on(target.get(), "/dev", "tmpfs", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k");
  // `target` still refers to the directory under the tmpfs: resolve again to get the tmpfs.
  UniqueFd dev_dir = open_in_root(root_fd, "/dev", O_DIRECTORY);

  if (host.devices.empty()) {
    // Root in the host's user namespace: mknod(2) works.
    for (const auto& device : kDevices) {
      std::string path = fmt::format("/dev/{}", device.name);
      check(::mknodat(dev_dir.get(), device.name, S_IFCHR | 0666, makedev(device.major, device.minor)), "mknod",
            path);
      check(::fchmodat(dev_dir.get(), device.name, 0666, 0), "chmod", path);  // the umask took bits away
    }
  } else {
    // In a user namespace mknod(2) is refused (a device node would bypass the host's
    // permissions): bind the host's nodes onto empty files, as runc does.
    for (const auto& [name, copy] : host.devices) {
      std::string path = "/dev/" + name;
      UniqueFd file(check(::openat(dev_dir.get(), name.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0666),
                          "create", path));
      attach_mount_tree(copy, file.get(), path);
    }
  }
  // A new devpts instance: the container's terminals only, not the host's. ptmxmode=0666
  // lets every user open pts/ptmx; gid=5 is the usual tty group, as docker sets it. In a
  // user namespace where group 5 is not mapped (rootless) the kernel refuses gid=5.
  std::string pts_options = "newinstance,ptmxmode=0666,mode=0620";
  if (group_is_mapped(5)) pts_options += ",gid=5";
  mount_dev_dir(dev_dir.get(), "pts", "devpts", MS_NOSUID | MS_NOEXEC, pts_options);
  mount_dev_dir(dev_dir.get(), "shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k");
  // POSIX message queues. The mqueue filesystem shows the queues of the mounting process's
  // IPC namespace: the host's until chapter 06 gives the container its own. In a user
  // namespace that does not own the IPC namespace (--ipc host) the kernel refuses: the host's
  // /dev/mqueue shows the same queues, so bind it, as runc does.
  // Without a copy (the host has no /dev/mqueue), chapter 06's IPC step mounts one later.
  try {
    mount_dev_dir(dev_dir.get(), "mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, "", host.mqueue);
  } catch (const SysError& e) {
    if (e.error_number() != EPERM || !in_user_namespace()) throw;
    log::debug("child: /dev/mqueue refused in this user namespace: left to the IPC step");
  }
  for (const auto& [name, destination] : kDevLinks)
    check(::symlinkat(destination, dev_dir.get(), name), "symlink", fmt::format("/dev/{}", name));
}

TmpfsMount tmpfs_of(const MountSpec& mount) {
  std::string spec = mount.destination;
  for (size_t i = 0; i < mount.options.size(); ++i) spec += (i == 0 ? ":" : ",") + mount.options[i];
  return parse_tmpfs(spec);
}

void mount_tmpfs(int root_fd, const TmpfsMount& tmpfs) {
  UniqueFd target = make_directories_in_root(root_fd, tmpfs.path);
  mount_on(target.get(), tmpfs.path, "tmpfs", "tmpfs", tmpfs.flags, tmpfs.data);
}

void mask_paths(int root_fd, const std::vector<std::string>& paths) {
  for (const auto& path : paths) {
    UniqueFd target = open_in_root_if_exists(root_fd, path);
    if (!target) continue;
    struct stat st;
    check(::fstat(target.get(), &st), "stat", path);
    if (S_ISDIR(st.st_mode)) {
      mount_on(target.get(), path, "tmpfs", "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
    } else {
      mount_on(target.get(), path, "/dev/null", "", MS_BIND);
    }
    log::debug("child: masked {}", path);
  }
}

void make_paths_read_only(int root_fd, const std::vector<std::string>& paths) {
  for (const auto& path : paths) {
    UniqueFd target = open_in_root_if_exists(root_fd, path);
    if (!target) continue;
    // A bind mount of the path onto itself gives it its own mount, whose flags we can change
    // without touching the rest of /proc.
    mount_on(target.get(), path, fd_path(target.get()), "", MS_BIND | MS_REC);
    UniqueFd bound = open_in_root(root_fd, path);  // the new mount's root
    remount_read_only(bound.get(), path);
    log::debug("child: read-only {}", path);
  }
}

}  // namespace dockling::ch03
