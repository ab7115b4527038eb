#include "registry_step.hpp"

#include <iostream>
#include <memory>

namespace dockling::ch12 {

namespace {

const char* const kConfigHelp = "Where config.json keeps logins (default: $DOCKLING_CONFIG, else ~/.dockling)";

}  // namespace

RegistryStep::RegistryStep() {
  set_image_fetcher([](const std::string& reference, const StateRoot& root) {
    // docker run's pull: its lines on stderr (stdout is the container's), no last line.
    ClientOptions options;
    options.out = &std::cerr;
    options.name_line = false;
    pull_image(root, reference, options);
  });
}

void RegistryStep::add_commands(CLI::App& app) {
  ch11::BuildStep::add_commands(app);
  CLI::App* registry = app.add_subcommand("registry", "Run a registry: the OCI distribution API over HTTP");
  registry->require_subcommand(1);
  serve_ = registry->add_subcommand("serve", "Serve a registry until SIGINT or SIGTERM");
  serve_->add_option("--addr", serve_options_.addr, "HOST:PORT to listen on (PORT 0: one the kernel picks)")
      ->capture_default_str();
  serve_->add_option("--root", serve_options_.root, "Where blobs and repositories are kept (default: STATE_ROOT/registry)");
  serve_->add_flag("--no-delete", serve_options_.no_delete, "Refuse DELETE of blobs and manifests (405)");
  AuthOptions& auth = serve_options_.auth;
  serve_->add_option("--htpasswd", auth.htpasswd, "Let in only the users of FILE (bcrypt entries: htpasswd -B)");
  serve_->add_option("--read-only-users", auth.read_only_users, "Users of the htpasswd file who may pull but not push")
      ->delimiter(',');
  serve_->add_flag("--token-issuer", auth.token_issuer,
                   "Want bearer tokens, handed out by GET /token to the htpasswd file's users (Docker Hub's flow)");
  serve_->add_option("--token-key", auth.token_key, "FILE whose bytes (32 at least) sign the tokens (default: random)");
  serve_->add_option("--token-ttl", auth.token_ttl, "Seconds a token lives")->capture_default_str()->check(CLI::PositiveNumber);
  serve_->add_option("--token-service", auth.service, "The service tokens are issued for (and Basic's realm)")
      ->capture_default_str();

  gc_ = registry->add_subcommand("gc", "Remove the blobs no manifest references (as docker-registry garbage-collect)");
  gc_->add_option("--root", gc_root_, "The registry's storage (default: STATE_ROOT/registry)");
  gc_->add_flag("--dry-run", gc_options_.dry_run, "Say what would be removed, remove nothing");
  gc_->add_flag("--delete-untagged", gc_options_.delete_untagged, "Also remove manifests that no tag reaches");
  pull_ = app.add_subcommand("pull", "Download an image from a registry");
  pull_->add_option("NAME[:TAG|@DIGEST]", reference_, "The image")->required();
  push_ = app.add_subcommand("push", "Upload an image to a registry");
  push_->add_option("NAME[:TAG]", reference_, "The image")->required();
  for (CLI::App* command : {pull_, push_}) {
    command->add_flag("-q,--quiet", client_options_.quiet, "Suppress verbose output");
    command->add_option("--insecure-registry", client_options_.insecure_registries,
                        "HOST[:PORT] spoken to over plain http (localhost and 127.0.0.0/8 always are)");
    command->add_option("--config", client_options_.config_dir, kConfigHelp);
  }

  login_ = app.add_subcommand("login", "Log in to a registry");
  login_->add_option("SERVER", login_options_.server, "The registry (default: Docker Hub)");
  login_->add_option("-u,--username", login_options_.username, "Username");
  login_->add_option("-p,--password", login_options_.password, "Password");
  login_->add_flag("--password-stdin", login_options_.password_stdin, "Take the password from stdin");
  login_->add_option("--insecure-registry", login_options_.insecure_registries,
                     "HOST[:PORT] spoken to over plain http (localhost and 127.0.0.0/8 always are)");
  logout_ = app.add_subcommand("logout", "Log out from a registry");
  logout_->add_option("SERVER", login_options_.server, "The registry (default: Docker Hub)");
  for (CLI::App* command : {login_, logout_}) command->add_option("--config", login_options_.config_dir, kConfigHelp);

  search_ = app.add_subcommand("search", "Search a registry for images");
  search_->add_option("TERM", search_term_, "[REGISTRY/]TERM: what the repository names hold")->required();
  search_->add_option("--limit", search_options_.limit, "Max number of search results")->capture_default_str();
  search_->add_flag("--no-trunc", search_options_.no_trunc, "Don't truncate output");
  search_->add_option("--format", search_options_.format, "Pretty-print search using a Go template");
  search_->add_option("--insecure-registry", search_options_.insecure_registries,
                      "HOST[:PORT] spoken to over plain http (localhost and 127.0.0.0/8 always are)");
  search_->add_option("--config", search_options_.config_dir, kConfigHelp);
}

std::optional<int> RegistryStep::run_command(const StateRoot& root) {
  if (serve_->parsed()) {
    if (serve_options_.root.empty()) serve_options_.root = root.dir() / "registry";
    return serve_registry(serve_options_);
  }
  if (gc_->parsed()) {
    collect_garbage(gc_root_.empty() ? root.dir() / "registry" : std::filesystem::path(gc_root_), gc_options_, std::cout);
    return 0;
  }
  if (pull_->parsed()) return pull_image(root, reference_, client_options_);
  if (push_->parsed()) return push_image(root, reference_, client_options_);
  if (login_->parsed()) return login(login_options_);
  if (logout_->parsed()) return logout(login_options_);
  if (search_->parsed()) return search(search_term_, search_options_);
  return ch11::BuildStep::run_command(root);
}

Steps steps() {
  Steps list = ch11::steps();
  for (auto& step : list)
    if (step->slot() == Slot::image) step = std::make_unique<RegistryStep>();
  return list;
}

}  // namespace dockling::ch12
