/// @file volume_request.hpp
/// @brief What one `-v` or `--mount` asks for, and chapter 13's exercise: reading a `-v` spec
/// with docker's rules.
///
/// parse_volume_flag() is defined in exercises/13-volumes/volume_flag.cpp (the stub you fill
/// in) or solutions/13-volumes/. parse_mount_flag() (mount_flag.cpp) reads `--mount`. The
/// volumes step (volume_step.hpp) turns each request into a mount of the container's plan.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace dockling::ch13 {

/// What kind of mount a request is.
enum class MountKind {
  bind,    ///< a host path, seen inside the container
  volume,  ///< a volume of the store (named, or anonymous when `source` is empty)
  tmpfs,   ///< a new, empty tmpfs (--mount type=tmpfs)
};

/// One -v or --mount, read but not yet checked against the host or the store.
struct VolumeRequest {
  MountKind kind = MountKind::volume;  ///< a bind mount, a volume or a tmpfs
  /// bind: the host path, absolute; volume: its name, "" for an anonymous one; tmpfs: "".
  std::string source;
  std::string target;         ///< absolute, inside the container; never "/"
  bool read_only = false;     ///< ro: writes inside fail with EROFS
  /// bind: "private", "rprivate", "shared", "rshared", "slave" or "rslave"; "" for the
  /// default (rprivate).
  std::string propagation;
  bool no_copy = false;       ///< volume: do not copy the image's files into an empty volume
  /// bind: a missing host path is created as a directory (-v, as docker does); --mount
  /// refuses it instead.
  bool create_missing_source = false;
  bool recursive = true;      ///< bind: the source's submounts come along (bind-nonrecursive: false)
  std::uint64_t tmpfs_size = 0;  ///< tmpfs: its size limit in bytes; 0: none
  unsigned tmpfs_mode = 0;       ///< tmpfs: its root's mode; 0: 1777
  std::map<std::string, std::string> volume_labels;   ///< volume: --mount volume-label=K=V
  std::map<std::string, std::string> volume_options;  ///< volume: --mount volume-opt=K=V
  std::vector<std::string> warnings;  ///< what was accepted but ignored ("z": SELinux labels)
  std::string origin;                 ///< the flag as given, for messages: "-v data:/data"
};

/// Exercise: reads one `-v`/`--volume` value, `[SOURCE:]TARGET[:MODE]`, with docker's rules.
///
/// The contract (docker 20.10 on Linux):
/// - The value is split at every ':'. One part: TARGET, an anonymous volume. Two parts:
///   SOURCE:TARGET, except that TARGET:MODE (a second part that is a valid MODE) is refused:
///   a mode needs a source. Three parts: SOURCE:TARGET:MODE. More: refused.
/// - SOURCE: empty is refused (say so); absolute (starts with '/') is a bind mount of that
///   host path (`create_missing_source` true); anything else is a volume's name, which must
///   match `[a-zA-Z0-9][a-zA-Z0-9_.-]+` (check_volume_name()).
/// - TARGET: absolute, and not "/" (each refused with its own message); a trailing '/' is
///   dropped ("/data/" is "/data").
/// - MODE: a comma-separated list of at most one of `rw`/`ro`, at most one of `z`/`Z`
///   (SELinux relabelling: accepted, ignored, and a warning in `warnings`), at most one
///   propagation (private, rprivate, shared, rshared, slave, rslave: binds only), and
///   `nocopy` (volumes only). Anything else, or two of a kind, is refused as
///   "invalid mode: MODE".
/// - Every refusal throws dockling::Error (exit code 125) whose message starts with
///   "invalid volume specification: 'VALUE'" (except the name and mode errors, which are
///   docker's own words: see check_volume_name() and "invalid mode: MODE").
/// - `origin` is "-v VALUE".
VolumeRequest parse_volume_flag(const std::string& value);

/// Reads one `--mount` value: comma-separated `key=value` fields, as docker's CLI does (type,
/// source|src, target|destination|dst, readonly|ro, bind-propagation, bind-nonrecursive,
/// volume-nocopy, volume-label, volume-opt, tmpfs-size, tmpfs-mode; consistency ignored).
/// Unlike -v, a missing bind source is refused, and `type` defaults to volume.
/// @throws Error `invalid argument "VALUE" for "--mount" flag: WHY`, or docker's daemon
/// words (`invalid mount config for type "bind": ...`), exit code 125.
VolumeRequest parse_mount_flag(const std::string& value);

/// Docker's rule for a local volume's name: `[a-zA-Z0-9][a-zA-Z0-9_.-]+`.
/// @throws Error `create NAME: "NAME" includes invalid characters for a local volume name,
/// only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory,
/// use absolute path` (exit code 125).
void check_volume_name(const std::string& name);

/// True for docker's propagation modes: private, rprivate, shared, rshared, slave, rslave.
bool is_propagation(const std::string& word);

}  // namespace dockling::ch13
