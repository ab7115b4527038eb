/// @file image_run.hpp
/// @brief `run IMAGE`: the container's root is an overlay mount of the image's layers under a
/// rw layer of its own, and the container is kept (ps -a, rm) unless --rm. Rootless, the
/// child mounts it (with userxattr) in its own user and mount namespaces, or, where the kernel
/// refuses that, the vfs driver copies the image from inside the user's namespace.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "container.hpp"
#include "container_store.hpp"
#include "dockling/mount.hpp"
#include "image_config.hpp"
#include "image_store.hpp"

namespace dockling::ch10 {

/// The image part of the image step: its `run` flags and the hooks that prepare, record
/// and remove a container's rw layer.
class ImageRun {
 public:
  /// Brings the image `reference` names into the store of `root` (a later chapter's pull),
  /// its progress on stderr. Throws when it cannot.
  using ImageFetcher = std::function<void(const std::string& reference, const StateRoot& root)>;

  /// What a later chapter supplies to fetch images `run` does not find (chapter 12: a pull
  /// from a registry). Call before add_flags(): with a fetcher `run` also gets --pull.
  void set_fetcher(ImageFetcher fetcher) { fetcher_ = std::move(fetcher); }

  /// Adds --name, --rm and --entrypoint (and --pull with a fetcher); `run`'s ROOTFS argument
  /// becomes IMAGE|ROOTFS.
  void add_flags(CLI::App& run);
  /// When `run` was given an image: its config's defaults into `spec`, and the container
  /// made (its record, rw layer and mounted root) so that later steps read its files (the
  /// -u user's /etc/passwd). A directory: nothing to do. `storage_driver`: "overlay",
  /// "vfs", or "" to choose (vfs where the state root is on overlayfs).
  void to_spec(ContainerSpec& spec, const StateRoot& root, const std::string& storage_driver);
  /// Hands the container made by to_spec() over to the clean-up record.
  void before_clone(Container& container);
  /// Rootless: mounts the container's overlay (userxattr), in the mount namespace its user
  /// namespace owns; nothing otherwise (to_spec() mounted it).
  void in_child(Container& container);
  /// Records that it runs: its pid, and when it started.
  void after_start(Container& container, pid_t child) noexcept;
  /// Unmounts its root; removes it with --rm, records how it exited otherwise.
  void after_exit(Container& container) noexcept;

 private:
  /// What to_spec() made, undone when the start fails before before_clone().
  struct Prepared {
    ContainerRecord record;
    std::optional<Mount> root;
    bool rootless = false;
    bool reused = false;  ///< an existing container started again: its files stay on failure
    // User-provided: clang (to 16) cannot default-construct, inside the enclosing class, a
    // nested struct whose members have initializers (optional::emplace needs it there).
    Prepared() {}
    ~Prepared();
  };
  /// A rootless container's overlay, mounted by the child (in_child()).
  struct ChildMount {
    std::vector<std::string> lowers;
    std::filesystem::path upper, work, merged, layers_dir;
  };

  /// Removes a container's directory; rootless, from inside the user's namespace.
  static void remove_container_dir(const std::filesystem::path& dir, bool rootless);
  /// "overlay" where overlay mounts in a user namespace, else "vfs" with a warning; an Error
  /// instead when the user asked for overlay (--storage-driver), not `by_default`.
  static std::string rootless_driver(const std::string& text, const StateRoot& root, bool by_default);

  /// The image `text` names, or nullopt when it names a directory (chapters 01-09's ROOTFS);
  /// fetched first as --pull says when there is a fetcher.
  std::optional<Image> image_named(const std::string& text, const StateRoot& root) const;

  CLI::App* run_ = nullptr;
  ImageFetcher fetcher_;
  std::string pull_ = "missing";  ///< --pull: missing, always or never
  std::string name_;
  bool remove_ = false;
  std::optional<std::string> entrypoint_;
  std::string existing_;  ///< --existing-container: the kept container to start again
  std::optional<Prepared> prepared_;
  bool rootless_ = false;                 ///< run by an ordinary user
  std::optional<ChildMount> child_mount_;  ///< what in_child() mounts
};

}  // namespace dockling::ch10
