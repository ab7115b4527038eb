// A temporary directory with a layer tarball in it and a directory to unpack it into.
#pragma once

#include <fcntl.h>

#include <string>

#include <gtest/gtest.h>

#include "dockling/fd.hpp"
#include "dockling/fs.hpp"
#include "dockling/tempdir.hpp"
#include "layer_unpack.hpp"
#include "tar_builder.hpp"

namespace dockling::ch10::testing {

class LayerTest : public ::testing::Test {
 protected:
  TempDir tmp{"dockling-ch10"};
  std::string layer = (tmp.path() / "layer").string();
  std::string outside = (tmp.path() / "outside").string();

  void SetUp() override {
    ASSERT_EQ(::mkdir(layer.c_str(), 0755), 0);
    ASSERT_EQ(::mkdir(outside.c_str(), 0755), 0);
    write_file(outside + "/passwd", "untouched\n");
  }

  /// Unpacks `tar` (bytes) into `layer`, in root's form or the rootless one.
  UnpackedLayer unpack(const std::string& tar, LayerForm form = LayerForm::root) {
    std::string path = (tmp.path() / "layer.tar").string();
    write_file(path, tar);
    UniqueFd in = open_fd(path, O_RDONLY);
    UniqueFd dir = open_fd(layer, O_RDONLY | O_DIRECTORY);
    return unpack_layer(in.get(), dir.get(), "layer test", form);
  }

  /// True when nothing outside the layer directory changed.
  bool outside_untouched() {
    return read_file(outside + "/passwd") == "untouched\n" && snapshot(outside).size() == 1;
  }
};

}  // namespace dockling::ch10::testing
