// `login` and `logout`: the credentials checked against the registry, then kept in
// config.json (or removed from it), with docker's flags, warnings and words.
#include "login.hpp"

#include <termios.h>
#include <unistd.h>

#include <iostream>
#include <iterator>
#include <optional>

#include <fmt/format.h>

#include "credential_store.hpp"
#include "dockling/error.hpp"
#include "reference.hpp"
#include "registry_client.hpp"
#include "registry_url.hpp"

namespace dockling::ch12 {

namespace {

const char* const kNoTty = "Cannot perform an interactive login from a non TTY device";

/// A line typed on the terminal after `label`; not echoed when `secret`.
std::string ask(const std::string& label, bool secret) {
  if (::isatty(STDIN_FILENO) == 0) throw Error(kNoTty, 1);
  std::cout << label << std::flush;
  termios saved{};
  bool quiet = secret && ::tcgetattr(STDIN_FILENO, &saved) == 0;
  if (quiet) {
    termios silent = saved;
    silent.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSANOW, &silent);
  }
  std::string line;
  std::getline(std::cin, line);
  if (quiet) {
    ::tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    std::cout << std::endl;
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

/// The client that speaks to `domain`'s /v2/ (no repository: login needs none).
RegistryClient registry_of(const std::string& domain, const LoginOptions& options,
                           std::optional<Credentials> credentials) {
  RegistryRepository repository = registry_repository(ch10::Reference{domain, "", "", ""}, options.insecure_registries);
  return RegistryClient(repository, std::move(credentials));
}

}  // namespace

std::string login_server(const std::string& server) {
  std::string host = server;
  for (const char* scheme : {"http://", "https://"})
    if (host.starts_with(scheme)) host = host.substr(std::string_view(scheme).size());
  host = host.substr(0, host.find('/'));
  return host.empty() ? std::string(ch10::kDefaultDomain) : host;
}

int login(const LoginOptions& options) {
  // docker's checks and warning, in its order.
  if (!options.password.empty())
    std::cerr << "WARNING! Using --password via the CLI is insecure. Use --password-stdin." << std::endl;
  Credentials credentials{options.username, options.password};
  if (options.password_stdin) {
    if (!options.password.empty()) throw Error("--password and --password-stdin are mutually exclusive", 1);
    if (options.username.empty()) throw Error("Must provide --username with --password-stdin", 1);
    credentials.password.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    while (!credentials.password.empty() && (credentials.password.back() == '\n' || credentials.password.back() == '\r'))
      credentials.password.pop_back();
  }
  std::string domain = login_server(options.server);
  CredentialStore store(config_dir(options.config_dir));

  std::optional<Credentials> kept = store.find(domain);
  if (credentials.username.empty() && credentials.password.empty() && kept) {
    std::cout << "Authenticating with existing credentials..." << std::endl;
    credentials = *kept;
  } else {
    if (credentials.username.empty()) credentials.username = ask("Username: ", false);
    if (credentials.username.empty()) throw Error("Error: Non-null Username Required", 1);
    if (credentials.password.empty()) credentials.password = ask("Password: ", true);
    if (credentials.password.empty()) throw Error("Error: Password Required", 1);
  }

  registry_of(domain, options, credentials).check_login();
  store.put(domain, credentials);
  std::cerr << fmt::format("WARNING! Your password will be stored unencrypted in {}.", store.file().string())
            << std::endl;
  std::cout << "Login Succeeded" << std::endl;
  return 0;
}

int logout(const LoginOptions& options) {
  std::string domain = login_server(options.server);
  CredentialStore store(config_dir(options.config_dir));
  std::cout << "Removing login credentials for " << credentials_key(domain) << std::endl;
  store.erase(domain);
  return 0;
}

}  // namespace dockling::ch12
