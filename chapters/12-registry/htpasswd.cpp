#include "htpasswd.hpp"

#include <crypt.h>

#include <memory>

#include <fmt/format.h>

#include "dockling/error.hpp"
#include "dockling/fs.hpp"
#include "hmac_sha256.hpp"

namespace dockling::ch12 {

namespace {

bool is_bcrypt(const std::string& hash) {
  return hash.size() == 60 && (hash.starts_with("$2y$") || hash.starts_with("$2b$") || hash.starts_with("$2a$"));
}

}  // namespace

Htpasswd::Htpasswd(const std::filesystem::path& path) {
  std::string text = read_file(path.string());
  std::size_t number = 0;
  for (std::size_t start = 0; start < text.size();) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    start = end + 1;
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line.starts_with("#")) continue;
    std::size_t colon = line.find(':');
    std::string user = line.substr(0, colon == std::string::npos ? 0 : colon);
    std::string hash = colon == std::string::npos ? "" : line.substr(colon + 1);
    if (user.empty() || !is_bcrypt(hash))
      throw Error(fmt::format("{}:{}: not user:bcrypt-hash (make entries with htpasswd -B)", path.string(), number), 1);
    hashes_[user] = hash;
  }
}

bool Htpasswd::verify(const std::string& user, const std::string& password) const {
  auto it = hashes_.find(user);
  if (it == hashes_.end() && hashes_.empty()) return false;
  // An unknown user costs a bcrypt too (against some user's hash), so that the time of the
  // answer does not tell which users exist.
  const std::string& hash = it == hashes_.end() ? hashes_.begin()->second : it->second;
  // crypt_rn keeps its state in `data` (32 KB: on the heap, not a connection thread's stack),
  // so threads may check passwords at once.
  auto data = std::make_unique<crypt_data>();
  const char* hashed = crypt_rn(password.c_str(), hash.c_str(), data.get(), sizeof(crypt_data));
  return it != hashes_.end() && hashed != nullptr && equal_in_constant_time(hashed, hash);
}

}  // namespace dockling::ch12
