/// @file volume_step.hpp
/// @brief Chapter 13's steps: `run`'s -v, --mount and --volumes-from, the `volume` commands,
/// and a root step that mounts bind mounts and volumes into the container.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dockling/fd.hpp"
#include "mount_step.hpp"
#include "oci_mounts.hpp"
#include "pipeline.hpp"
#include "step.hpp"
#include "volume_commands.hpp"
#include "volume_request.hpp"

namespace dockling::ch13 {

/// The volumes step. Before the container exists (prepare), each -v, --mount,
/// --volumes-from and each VOLUME of the image becomes a mount of the spec: volumes are
/// created (anonymous ones with a generated name), missing -v host paths made. The child
/// copies the image's files into an empty volume (copy-up) before the root step mounts it.
/// The container's record lists its Mounts as docker's inspect does; at its end, --rm (or
/// a run of a directory, which is not kept) removes its anonymous volumes.
class VolumesStep : public Step {
 public:
  std::string_view name() const override { return "volumes"; }
  Slot slot() const override { return Slot::volumes; }
  /// -v/--volume, --mount and --volumes-from.
  void add_flags(CLI::App& run) override;
  /// Reads the flags: a bad one is refused now (exit code 125), before anything exists.
  void to_spec(ContainerSpec& spec) override;
  /// The volumes made and the mounts added to the spec (see the class).
  void prepare(ContainerSpec& spec, const StateRoot& root) override;
  /// The mounts into the container's record; the volumes it uses into the clean-up record.
  void before_clone(Container& container) override;
  /// In the child, before the root step's pivot: the image's files copied into empty volumes.
  void in_child(Container& container) override;
  /// Its anonymous volumes removed (--rm, or a directory's run); filesystems of volumes
  /// created with --opt unmounted once no container uses them.
  void after_exit(Container& container) noexcept override;
  /// `volume create|ls|inspect|rm|prune`.
  void add_commands(CLI::App& app) override { commands_.add(app); }
  /// Runs the chosen `volume` command.
  std::optional<int> run_command(const StateRoot& root) override { return commands_.run(root); }

 private:
  /// One image directory to copy into a volume, in the child.
  struct CopyUp {
    std::string target;               ///< inside the container
    std::filesystem::path data;       ///< the volume's _data
    std::filesystem::path volume_dir; ///< ROOT/volumes/NAME, for its copy-up lock
  };

  std::vector<std::string> volume_flags_, mount_flags_, volumes_from_;
  std::vector<VolumeRequest> requests_;  ///< -v and --mount, read by to_spec()
  std::vector<CopyUp> copy_ups_;
  nlohmann::json mounts_ = nlohmann::json::array();  ///< docker's inspect "Mounts"
  std::vector<std::string> names_, anonymous_;       ///< the volumes this container uses / made for it
  std::optional<StateRoot> root_;
  UniqueFd lock_;  ///< the volume store's, from prepare() until the records name the volumes
  VolumeCommands commands_;
};

/// Chapter 03's root step, which also mounts the spec's bind mounts (volumes are bind mounts
/// of their _data): their sources opened while the host is in view, and every mount made in
/// the order of its destination's depth, so that /data is mounted before /data/logs.
class VolumeRootStep : public ch03::MountStep {
 protected:
  void before_pivot(Container& container) override;
  void mount_listed(int root_fd, const Container& container) override;

 private:
  std::optional<ch09::OciMounts> mounts_;
  std::vector<size_t> order_;
};

/// Chapter 13's steps: chapter 12's, plus volumes, and VolumeRootStep in chapter 03's place.
Steps steps();

}  // namespace dockling::ch13
