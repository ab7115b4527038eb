// `save` and `load` as docker's CLI has them: flags, where the bytes go, what is printed.
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>

#include "dockling/cli.hpp"
#include "dockling/error.hpp"
#include "dockling/fd.hpp"
#include "dockling/fs.hpp"
#include "image_archive.hpp"
#include "images_step.hpp"

namespace dockling::ch10 {

void ImagesStep::add_archive_commands(CLI::App& app) {
  save_ = add_command(app, "save", "Save one or more images to a tar archive (streamed to STDOUT by default)");
  save_->add_option("IMAGE", save_images_, "Images: names (a repository without a tag: all its tags) or ids")
      ->required();
  save_->add_option("-o,--output", save_output_, "Write to a file, instead of STDOUT");

  load_ = add_command(app, "load", "Load an image from a tar archive or STDIN");
  load_->add_option("-i,--input", load_input_, "Read from tar archive file, instead of STDIN");
  load_->add_flag("-q,--quiet", load_quiet_, "Suppress the load output (there is no progress to suppress)");
}

int ImagesStep::save(const StateRoot& root) {
  ImageStore store(root);
  if (save_output_.empty()) {
    if (::isatty(STDOUT_FILENO))
      throw Error("cowardly refusing to save to a terminal. Use the -o flag or redirect", 1);
    save_images(store, save_images_, STDOUT_FILENO);
    return 0;
  }
  // As docker's CLI: into a temporary file beside FILE, renamed when complete, so that a
  // failed save leaves no half archive under FILE's name.
  std::filesystem::path target(save_output_);
  std::filesystem::path temporary =
      target.parent_path() / ("." + target.filename().string() + ".tmp-" + random_hex(4));
  try {
    {
      UniqueFd out = open_fd(temporary.string(), O_WRONLY | O_CREAT | O_EXCL, 0644);
      save_images(store, save_images_, out.get());
      check(::fsync(out.get()), "fsync", temporary.string());
    }
    check(::rename(temporary.c_str(), target.c_str()), "rename", target.string());
  } catch (...) {
    ::unlink(temporary.c_str());
    throw;
  }
  return 0;
}

int ImagesStep::load(const StateRoot& root) {
  UniqueFd file;
  int fd = STDIN_FILENO;
  if (!load_input_.empty()) {
    file = open_fd(load_input_, O_RDONLY);
    fd = file.get();
  } else if (::isatty(STDIN_FILENO)) {
    throw Error("requested load from stdin, but stdin is empty", 1);
  }
  ImageStore store(root);
  for (const auto& line : load_images(store, fd)) std::cout << line << "\n";
  std::cout << std::flush;
  return 0;
}

}  // namespace dockling::ch10
