#include "seccomp_program.hpp"

#include <fcntl.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fmt/format.h>

#include "dockling/error.hpp"
#include "dockling/fd.hpp"
#include "dockling/fs.hpp"
#include "dockling/log.hpp"
#include "dockling/state.hpp"
#include "security.hpp"

namespace dockling::ch09 {

namespace {

/// FNV-1a, 64 bits, continued from `hash`.
std::uint64_t fnv1a(std::string_view data, std::uint64_t hash = 14695981039346656037ull) {
  for (unsigned char c : data) hash = (hash ^ c) * 1099511628211ull;
  return hash;
}

/// The program's file name: a hash of everything the compiled program depends on.
std::string cache_name(const SeccompSpec& seccomp, CapabilitySet caps) {
  struct stat self {};
  check(::stat("/proc/self/exe", &self), "stat", "/proc/self/exe");
  const scmp_version* version = seccomp_version();
  std::string key = fmt::format("{}:{}:{}.{}.{}:{}:{}:{}.{}:{}", seccomp.profile ? seccomp.profile->dump() : "default",
                                caps, version->major, version->minor, version->micro, self.st_dev, self.st_ino,
                                self.st_mtim.tv_sec, self.st_mtim.tv_nsec, self.st_size);
  return fmt::format("{:016x}.bpf", fnv1a(key));
}

/// The program in `path`; empty when there is none, or not a whole one.
SeccompProgram read_program(const std::filesystem::path& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) return {};
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || st.st_size <= 0 || st.st_size % sizeof(sock_filter) != 0 ||
      st.st_size > BPF_MAXINSNS * static_cast<off_t>(sizeof(sock_filter)))
    return {};
  SeccompProgram program(static_cast<size_t>(st.st_size) / sizeof(sock_filter));
  ssize_t got = ::pread(fd.get(), program.data(), static_cast<size_t>(st.st_size), 0);
  if (got != st.st_size) return {};
  return program;
}

}  // namespace

SeccompProgram export_program(scmp_filter_ctx filter) {
  UniqueFd memory(check(::memfd_create("seccomp-bpf", MFD_CLOEXEC), "memfd_create", "seccomp-bpf"));
  int rc = seccomp_export_bpf(filter, memory.get());
  if (rc < 0) throw SysError("seccomp_export_bpf", "", -rc);
  struct stat st {};
  check(::fstat(memory.get(), &st), "fstat", "seccomp-bpf");
  SeccompProgram program(static_cast<size_t>(st.st_size) / sizeof(sock_filter));
  if (::pread(memory.get(), program.data(), program.size() * sizeof(sock_filter), 0) < 0) throw_sys("pread", "seccomp-bpf");
  return program;
}

void load_program(const SeccompProgram& program) {
  sock_fprog prog{static_cast<unsigned short>(program.size()), const_cast<sock_filter*>(program.data())};
  check(static_cast<int>(::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog)), "seccomp",
        "SECCOMP_SET_MODE_FILTER");
}

SeccompProgram seccomp_program(const SeccompSpec& seccomp, CapabilitySet caps, const std::filesystem::path& cache_dir) {
  auto compile = [&] {
    SeccompProfile profile = seccomp.profile ? parse_seccomp_profile(*seccomp.profile, seccomp.source)
                                             : default_seccomp_profile();
    return build_seccomp(profile, caps);
  };
  // `oci exec` runs from a sealed memfd copy of the binary, a new file each time: nothing
  // there to find again, so it compiles without keeping.
  std::error_code error;
  if (std::filesystem::read_symlink("/proc/self/exe", error).string().starts_with("/memfd:")) return compile();
  std::filesystem::path path = cache_dir / cache_name(seccomp, caps);
  if (SeccompProgram cached = read_program(path); !cached.empty()) {
    log::debug("seccomp: compiled filter from {}", path.string());
    return cached;
  }
  SeccompProgram program = compile();
  try {
    if (::mkdir(cache_dir.c_str(), 0700) != 0 && errno != EEXIST) throw_sys("mkdir", cache_dir.string());
    write_file_atomically(path, std::string(reinterpret_cast<const char*>(program.data()),
                                            program.size() * sizeof(sock_filter)));
    log::debug("seccomp: filter compiled into {}", path.string());
  } catch (const std::exception& e) {
    log::debug("seccomp: not cached: {}", e.what());  // the next start compiles it again
  }
  return program;
}

}  // namespace dockling::ch09
