/// @file image_run.hpp
/// @brief `run IMAGE`: the container's root is an overlay mount of the image's layers under a
/// rw layer of its own, and the container is kept (ps -a, rm) unless --rm.
#pragma once

#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "container.hpp"
#include "container_store.hpp"
#include "dockling/mount.hpp"
#include "image_config.hpp"

namespace dockling::ch10 {

/// The image part of the image step: its `run` flags and the hooks that prepare, record
/// and remove a container's rw layer.
class ImageRun {
 public:
  /// Adds --name, --rm and --entrypoint; `run`'s ROOTFS argument becomes IMAGE|ROOTFS.
  void add_flags(CLI::App& run);
  /// When `run` was given an image: its config's defaults into `spec`, and the container
  /// made (its record, rw layer and mounted root) so that later steps read its files (the
  /// -u user's /etc/passwd). A directory: nothing to do. `storage_driver`: "overlay",
  /// "vfs", or "" to choose (vfs where the state root is on overlayfs).
  void to_spec(ContainerSpec& spec, const StateRoot& root, const std::string& storage_driver);
  /// Hands the container made by to_spec() over to the clean-up record.
  void before_clone(Container& container);
  /// Records that it runs: its pid, and when it started.
  void after_start(Container& container, pid_t child) noexcept;
  /// Unmounts its root; removes it with --rm, records how it exited otherwise.
  void after_exit(Container& container) noexcept;

 private:
  /// What to_spec() made, undone when the start fails before before_clone().
  struct Prepared {
    ContainerRecord record;
    std::optional<Mount> root;
    ~Prepared();
  };

  CLI::App* run_ = nullptr;
  std::string name_;
  bool remove_ = false;
  std::optional<std::string> entrypoint_;
  std::optional<Prepared> prepared_;
};

}  // namespace dockling::ch10
