#include "chroot_step.hpp"

#include "chroot.hpp"

namespace dockling::ch01 {

void ChrootStep::in_child(Container& container) {
  enter_root(container.spec.root.path);
}

Steps steps() {
  Steps list;
  list.push_back(std::make_unique<ChrootStep>());
  return list;
}

}  // namespace dockling::ch01
