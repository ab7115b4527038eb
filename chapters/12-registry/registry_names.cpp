#include "registry_names.hpp"

namespace dockling::ch12 {

namespace {

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

/// One path component: alphanumerics in runs joined by ".", "_", "__" or dashes.
bool is_component(std::string_view component) {
  std::size_t i = 0;
  for (;;) {
    std::size_t run = i;
    while (i < component.size() && is_lower_alnum(component[i])) ++i;
    if (i == run) return false;  // a run of alphanumerics must come first and after every separator
    if (i == component.size()) return true;
    std::size_t separator = i;
    while (i < component.size() && component[i] == '-') ++i;
    if (i == separator) {
      if (component[i] == '.') {
        ++i;
      } else if (component[i] == '_') {
        ++i;
        if (i < component.size() && component[i] == '_') ++i;
      } else {
        return false;
      }
    }
  }
}

}  // namespace

bool is_repository_name(std::string_view name) {
  if (name.empty() || name.size() > 255) return false;
  for (;;) {
    std::size_t slash = name.find('/');
    if (!is_component(name.substr(0, slash))) return false;
    if (slash == std::string_view::npos) return true;
    name.remove_prefix(slash + 1);
  }
}

bool is_tag(std::string_view tag) {
  if (tag.empty() || tag.size() > 128) return false;
  for (std::size_t i = 0; i < tag.size(); ++i) {
    char c = tag[i];
    bool word = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!word && (i == 0 || (c != '.' && c != '-'))) return false;
  }
  return true;
}

bool is_upload_uuid(std::string_view uuid) {
  if (uuid.size() != 36) return false;
  for (std::size_t i = 0; i < uuid.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    char c = uuid[i];
    if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace dockling::ch12
