#include "credential_store.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "dockling/error.hpp"
#include "dockling/fd.hpp"
#include "dockling/fs.hpp"
#include "reference.hpp"
#include "registry_base64.hpp"

namespace dockling::ch12 {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

/// The file's JSON; an empty object when there is no file.
json read_config(const fs::path& file) {
  if (!path_exists(file.string())) return json::object();
  json config = json::parse(read_file(file.string()), nullptr, false);
  if (!config.is_object()) throw Error(fmt::format("{}: not a JSON object", file.string()), 1);
  return config;
}

/// Writes the file whole: a temporary file of mode 0600 beside it, renamed over it, so that a
/// reader never sees half of it and the passwords are never readable by others.
void write_config(const fs::path& dir, const fs::path& file, const json& config) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) throw SysError("mkdir", dir.string(), errno);
  fs::path temporary = dir / (".config.json." + random_hex(4));
  {
    UniqueFd out = open_fd(temporary.string(), O_WRONLY | O_CREAT | O_EXCL, 0600);
    try {
      write_all(out.get(), config.dump(1, '\t'));  // docker's indentation
      check(::fsync(out.get()), "fsync", temporary.string());
    } catch (...) {
      ::unlink(temporary.c_str());
      throw;
    }
  }
  if (::rename(temporary.c_str(), file.c_str()) != 0) {
    int error = errno;
    ::unlink(temporary.c_str());
    throw SysError("rename", file.string(), error);
  }
}

}  // namespace

fs::path config_dir(const std::string& flag) {
  if (!flag.empty()) return flag;
  if (const char* dir = std::getenv("DOCKLING_CONFIG"); dir != nullptr && *dir != '\0') return dir;
  const char* home = std::getenv("HOME");
  if (home == nullptr || *home == '\0') {
    const passwd* user = ::getpwuid(::getuid());
    if (user == nullptr) throw Error("no home directory: set DOCKLING_CONFIG or --config", 1);
    home = user->pw_dir;
  }
  return fs::path(home) / ".dockling";
}

std::string credentials_key(const std::string& domain) {
  return domain == ch10::kDefaultDomain ? "https://index.docker.io/v1/" : domain;
}

std::optional<Credentials> CredentialStore::find(const std::string& domain) const {
  json config = read_config(file());
  const json* auths = config.contains("auths") && config["auths"].is_object() ? &config["auths"] : nullptr;
  std::string key = credentials_key(domain);
  if (auths == nullptr || !auths->contains(key) || !(*auths)[key].is_object()) return std::nullopt;
  std::string auth = (*auths)[key].value("auth", "");
  if (auth.empty()) return std::nullopt;
  std::optional<std::string> decoded = decode_base64(auth);
  std::string pair = decoded.value_or("");
  size_t colon = pair.find(':');
  if (!decoded || colon == std::string::npos)
    throw Error(fmt::format("{}: the credentials of {} are not base64 of user:password", file().string(), key), 1);
  return Credentials{pair.substr(0, colon), pair.substr(colon + 1)};
}

void CredentialStore::put(const std::string& domain, const Credentials& credentials) {
  json config = read_config(file());
  if (!config.contains("auths") || !config["auths"].is_object()) config["auths"] = json::object();
  config["auths"][credentials_key(domain)] = {{"auth", encode_base64(credentials.username + ":" + credentials.password)}};
  write_config(dir_, file(), config);
}

bool CredentialStore::erase(const std::string& domain) {
  json config = read_config(file());
  if (!config.contains("auths") || !config["auths"].is_object()) return false;
  if (config["auths"].erase(credentials_key(domain)) == 0) return false;
  write_config(dir_, file(), config);
  return true;
}

}  // namespace dockling::ch12
