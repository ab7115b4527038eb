#include "builder.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "build_cache.hpp"
#include "build_context.hpp"
#include "build_interrupt.hpp"
#include "config_instruction.hpp"
#include "container_store.hpp"
#include "digest.hpp"
#include "dockerfile.hpp"
#include "dockling/error.hpp"
#include "dockling/fd.hpp"
#include "dockling/fs.hpp"
#include "dockling/tempdir.hpp"
#include "dockling/text.hpp"
#include "file_step.hpp"
#include "image_commit.hpp"
#include "image_store.hpp"
#include "step_container.hpp"
#include "substitution.hpp"
#include "url_fetch.hpp"

namespace fs = std::filesystem;
using ojson = nlohmann::ordered_json;

namespace dockling::ch11 {

namespace {

constexpr const char* kBuildkitComment = "buildkit.dockerfile.v0";

/// An instruction as docker shows it in progress and history: its keyword in capitals, its
/// flags, its arguments (a JSON array for the exec form), after substitution.
std::string written(const Instruction& instruction) {
  std::string text = ascii_upper(instruction.keyword);
  for (const auto& flag : instruction.flags) text += " " + flag;
  if (instruction.json) {
    text += " " + nlohmann::json(instruction.args).dump();
  } else if (instruction.keyword == "env" || instruction.keyword == "label") {
    for (size_t i = 0; i + 1 < instruction.args.size(); i += 2)
      text += " " + instruction.args[i] + "=" + instruction.args[i + 1];
  } else {
    for (const auto& arg : instruction.args) text += " " + arg;
  }
  return text;
}

/// The shell script of a RUN in shell form. `RUN <<EOF` alone runs the heredoc's lines as the
/// script; a command with heredocs (`RUN cat <<EOF > /f`) gets them back after it, as the
/// shell reads heredocs itself.
std::string run_script(const Instruction& instruction) {
  std::string command = instruction.args.front();
  size_t start = command.find_first_not_of(" \t");
  size_t end = command.find_last_not_of(" \t");
  std::string trimmed = start == std::string::npos ? "" : command.substr(start, end - start + 1);
  if (instruction.heredocs.size() == 1 && trimmed.rfind("<<", 0) == 0 &&
      trimmed.find_first_of(" \t") == std::string::npos)
    return instruction.heredocs.front().content;
  std::string script = command;
  for (const auto& heredoc : instruction.heredocs) script += "\n" + heredoc.content + heredoc.name + "\n";
  return script;
}

/// One stage of the Dockerfile: its FROM and the instructions up to the next FROM.
struct Stage {
  std::string name;  ///< AS NAME in lower case; "" without
  size_t index = 0;
  Instruction from;
  std::vector<Instruction> body;
  int steps = 0;  ///< FROM and the steps BuildKit shows: RUN COPY ADD WORKDIR
};

/// Where a stage stands: the image it has made so far.
struct State {
  ojson image;                           ///< the whole image config
  std::vector<ch10::Descriptor> layers;  ///< the manifest's layers
  std::string id;                        ///< the stored image with this config; "" when changed since
  ch10::Descriptor manifest;             ///< its manifest, when `id` is set
  std::string key;                       ///< the cache key of the steps so far
  Variables args;                        ///< the ARGs declared in the stage, with a value
  bool cmd_set = false;                  ///< CMD was given in this stage (ENTRYPOINT then keeps it)
  bool cache_broken = false;             ///< a step missed: the rest of the stage builds
  std::vector<std::string> diff_ids() const { return image["rootfs"]["diff_ids"].get<std::vector<std::string>>(); }
};

/// The proxy ARGs docker predefines: a --build-arg of one reaches RUN without an ARG line, and
/// stays out of the history and the cache key (a proxy changes how, not what, is fetched).
constexpr std::array<const char*, 10> kProxyArgs{"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY",
                                                 "ftp_proxy",  "NO_PROXY",   "no_proxy",    "ALL_PROXY",   "all_proxy"};
/// A directory under ROOT/build, removed with everything in it when the step is done (also
/// when it fails).
struct Scratch {
  fs::path path;
  explicit Scratch(fs::path where) : path(std::move(where)) { fs::create_directories(path); }
  ~Scratch() { remove_tree(path); }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
};

/// ADD's URLs, downloaded before the step's key is computed: the key holds their digests.
struct Fetched {
  std::unique_ptr<Scratch> scratch;  ///< the step's scratch directory; the files are in downloads/
  std::vector<std::string> urls;
  std::vector<std::string> digests;
  std::vector<Download> downloads;
};

bool is_layer_step(const std::string& keyword) {
  return keyword == "run" || keyword == "copy" || keyword == "add" || keyword == "workdir";
}

class Builder {
 public:
  Builder(const StateRoot& root, const BuildOptions& options) : root_(root), options_(options), store_(root), cache_(store_) {}

  std::string build();

 private:
  void read_dockerfile();
  std::vector<size_t> needed_stages(size_t target) const;
  std::optional<size_t> stage_named(const std::string& text) const;
  State build_stage(Stage& stage);
  State base_of(const Stage& stage);
  void step(Stage& stage, State& state, const Instruction& raw, int& number, bool trigger);
  std::vector<std::string> run_step(State& state, const Instruction& instruction);
  Fetched fetch_urls(const Instruction& instruction);
  void copy_step(const Stage& stage, State& state, const Instruction& instruction, const Fetched& fetched);
  void workdir_step(State& state, const std::string& path);
  /// Runs `body` on the stage's root in a scratch directory (`scratch`'s when given, else a new
  /// one); what it changed becomes the state's next layer.
  void file_step(State& state, const std::string& what, const std::function<void(const FileStepRoot&)>& body,
                 const Scratch* scratch = nullptr);
  void add_history(State& state, const std::string& created_by, bool empty_layer);
  /// Stores the state's image unless it is stored: the cache's under the same key when
  /// `reuse` (a fully cached rebuild keeps its image id), else a new one.
  void store_state(State& state, bool reuse = true);
  std::string label(const Stage& stage, int number) const;
  void progress(const std::string& line) const;
  Error at(const Instruction& instruction, const std::string& what) const;

  const StateRoot& root_;
  const BuildOptions& options_;
  ch10::ImageStore store_;
  BuildCache cache_;
  fs::path dockerfile_path_;
  Dockerfile dockerfile_;
  Variables meta_args_;
  std::vector<Stage> stages_;
  std::map<size_t, State> built_;
  std::optional<BuildContext> context_;
  std::set<std::string> used_build_args_;
};

Error Builder::at(const Instruction& instruction, const std::string& what) const {
  return Error(fmt::format("{}:{}: {}", dockerfile_path_.filename().string(), instruction.line, what), 1);
}

void Builder::progress(const std::string& line) const {
  if (!options_.quiet) std::fprintf(stderr, " => %s\n", line.c_str());
}

std::string Builder::label(const Stage& stage, int number) const {
  if (stages_.size() == 1) return fmt::format("[{}/{}]", number, stage.steps);
  std::string name = stage.name.empty() ? fmt::format("stage-{}", stage.index) : stage.name;
  return fmt::format("[{} {}/{}]", name, number, stage.steps);
}

void Builder::read_dockerfile() {
  fs::path context = options_.context;
  bool from_stdin = options_.dockerfile == "-";  // docker build -f - CONTEXT
  dockerfile_path_ = options_.dockerfile.empty() || from_stdin ? context / "Dockerfile" : fs::path(options_.dockerfile);
  std::string text;
  try {
    text = from_stdin ? read_all(STDIN_FILENO) : read_file(dockerfile_path_.string());
  } catch (const std::exception& e) {
    throw Error(fmt::format("failed to read dockerfile: {}", e.what()), 1);
  }
  progress(fmt::format("[internal] load build definition from {}", dockerfile_path_.filename().string()));
  try {
    dockerfile_ = parse_dockerfile(text);
    meta_args_ = resolve_stages(dockerfile_, options_.build_args);
  } catch (const ParseError& e) {
    throw Error(fmt::format("{}: {}", dockerfile_path_.filename().string(), e.what()), 1);
  }
  for (auto& instruction : dockerfile_.instructions) {
    if (instruction.keyword == "from") {
      Stage stage;
      stage.index = stages_.size();
      stage.from = instruction;
      const auto& args = instruction.args;
      if (args.size() == 3 && ascii_lower(args[1]) == "as") {
        stage.name = ascii_lower(args[2]);
      } else if (args.size() != 1) {
        throw at(instruction, "FROM requires either one or three arguments");
      }
      stage.steps = 1;
      stages_.push_back(stage);
    } else if (!stages_.empty()) {
      stages_.back().body.push_back(instruction);
      if (is_layer_step(instruction.keyword)) ++stages_.back().steps;
    }
  }
  for (const auto& [name, value] : meta_args_) used_build_args_.insert(name);
  for (const char* name : kProxyArgs) used_build_args_.insert(name);
}

std::optional<size_t> Builder::stage_named(const std::string& text) const {
  std::string name = ascii_lower(text);
  for (const auto& stage : stages_)
    if (!stage.name.empty() && stage.name == name) return stage.index;
  if (!text.empty() && text.find_first_not_of("0123456789") == std::string::npos) {
    size_t index = std::stoul(text);
    if (index < stages_.size()) return index;
  }
  return std::nullopt;
}

std::vector<size_t> Builder::needed_stages(size_t target) const {
  std::set<size_t> needed;
  std::vector<size_t> todo{target};
  while (!todo.empty()) {
    size_t index = todo.back();
    todo.pop_back();
    if (!needed.insert(index).second) continue;
    const Stage& stage = stages_[index];
    auto depend = [&](const std::string& name) {
      if (auto other = stage_named(name); other && *other < index) todo.push_back(*other);
    };
    depend(stage.from.args.front());
    for (const auto& instruction : stage.body)
      if (auto from = flag_value(instruction, "from")) depend(*from);
  }
  return {needed.begin(), needed.end()};
}

State Builder::base_of(const Stage& stage) {
  const std::string& base = stage.from.args.front();
  if (auto platform = flag_value(stage.from, "platform")) {
    std::string host = "linux/" + ch10::oci_architecture();
    if (*platform != host)
      throw at(stage.from, fmt::format("FROM --platform={}: this builder builds for {} only", *platform, host));
  }
  State state;
  if (auto earlier = stage_named(base); earlier && *earlier < stage.index) {
    state = built_.at(*earlier);
    state.args.clear();
    state.cmd_set = false;
    state.cache_broken = false;
    return state;
  }
  if (ascii_lower(base) == "scratch") {
    state.image = ojson{{"architecture", ch10::oci_architecture()},
                        {"os", "linux"},
                        {"config", ojson{{"Env", ojson::array({std::string("PATH=") + kDefaultPath})}}},
                        {"rootfs", {{"type", "layers"}, {"diff_ids", ojson::array()}}},
                        {"history", ojson::array()}};
    state.key = cache_key("", "FROM scratch", "", {});
    return state;
  }
  ch10::Image image;
  try {
    image = store_.find(base);
  } catch (const Error& e) {
    throw at(stage.from, fmt::format("{} (images come from `load` or `import` here; chapter 12 pulls them)", e.what()));
  }
  state.image = ojson::parse(image.config.dump());
  state.layers = image.layers;
  state.id = image.id;
  state.manifest = image.manifest;
  state.key = image.id;
  if (!state.image.contains("config") || !state.image["config"].is_object()) state.image["config"] = ojson::object();
  if (!env_of(state.image["config"]).count("PATH")) {  // BuildKit gives a base without PATH the default one
    set_env(state.image["config"], "PATH", kDefaultPath);
    state.id.clear();
    state.key = cache_key(state.key, "ENV PATH (the default)", "", {});
  }
  return state;
}

void Builder::add_history(State& state, const std::string& created_by, bool empty_layer) {
  ojson entry{{"created", ch10::rfc3339_now()}, {"created_by", created_by}, {"comment", kBuildkitComment}};
  if (empty_layer) entry["empty_layer"] = true;
  if (!state.image.contains("history")) state.image["history"] = ojson::array();
  state.image["history"].push_back(entry);
}

void Builder::store_state(State& state, bool reuse) {
  if (!state.id.empty()) return;
  if (reuse && !options_.no_cache) {
    if (auto cached = cache_.find(state.key)) {
      state.image = ojson::parse(cached->config.dump());
      state.layers = cached->layers;
      state.id = cached->id;
      state.manifest = cached->manifest;
      return;
    }
  }
  state.image["created"] = ch10::rfc3339_now();
  UniqueFd held = store_.lock();
  ch10::Changes changes;
  auto [manifest, id] = store_.put_image(state.image, state.layers, changes);
  cache_.record(state.key, manifest);
  changes.commit();
  state.id = id;
  state.manifest = manifest;
}

void Builder::step(Stage& stage, State& state, const Instruction& raw, int& number, bool trigger) {
  // Variables: the stage's ARGs, then its ENV over them (docker: ENV wins).
  Variables variables = state.args;
  for (const auto& [name, value] : env_of(state.image["config"])) variables[name] = value;
  Instruction instruction;
  try {
    instruction = expand_instruction(raw, variables, dockerfile_.escape);
  } catch (const ParseError& e) {
    throw at(raw, e.what());
  }
  const std::string& k = instruction.keyword;
  if (k == "arg") {
    for (const auto& word : instruction.args) {
      std::string declared;
      try {
        declared = expand_word(word, variables, dockerfile_.escape);
      } catch (const std::invalid_argument& e) {
        throw at(raw, e.what());
      }
      size_t equals = declared.find('=');
      std::string name = declared.substr(0, equals);
      used_build_args_.insert(name);
      if (auto given = options_.build_args.find(name); given != options_.build_args.end())
        state.args[name] = given->second;
      else if (equals != std::string::npos)
        state.args[name] = declared.substr(equals + 1);
      else if (auto meta = meta_args_.find(name); meta != meta_args_.end())
        state.args[name] = meta->second;
    }
    // In the history as BuildKit writes it (`ARG TARGETARCH` in many images' history).
    std::string text = written(instruction);
    add_history(state, text, true);
    state.key = cache_key(state.key, text, "", {});
    state.id.clear();
    return;
  }
  std::string text = written(instruction);
  if (!is_layer_step(k)) {
    try {
      apply_config_instruction(state.image, instruction, state.cmd_set);
    } catch (const Error& e) {
      throw at(instruction, e.what());
    }
    add_history(state, text, true);
    state.key = cache_key(state.key, text, "", {});
    state.id.clear();
    return;
  }
  ++number;
  std::string shown = fmt::format("{} {}", trigger ? "[onbuild]" : label(stage, number), text);
  // The step's key: RUN sees the ARGs in its environment; COPY and ADD the files' checksum.
  std::string files;
  Variables run_args;
  if (k == "run")
    for (const auto& [name, value] : state.args)
      if (!env_of(state.image["config"]).count(name)) run_args[name] = value;
  Fetched fetched;
  if (k == "copy" || k == "add") {
    try {
      check_flags(instruction, {"from", "chown", "chmod", "link", "checksum"});
    } catch (const Error& e) {
      throw at(instruction, e.what());
    }
    if (instruction.args.size() < 2) throw at(instruction, ascii_upper(k) + " requires at least two arguments");
    auto from = flag_value(instruction, "from");
    if (from) {
      if (auto other = stage_named(*from); other && *other < stage.index) {
        files = built_.at(*other).id;
      } else {
        try {
          files = store_.find(*from).id;
        } catch (const Error& e) {
          throw at(instruction, e.what());
        }
      }
    } else {
      std::vector<std::string> matches;
      for (size_t i = 0; i + 1 < instruction.args.size(); ++i) {
        if (instruction.args[i].rfind("<<", 0) == 0) continue;
        if (is_url(instruction.args[i])) {
          if (k == "copy") throw at(instruction, "source can't be a URL for COPY");
          continue;  // fetched below
        }
        try {
          auto found = context_->match(instruction.args[i]);
          matches.insert(matches.end(), found.begin(), found.end());
        } catch (const Error& e) {
          throw at(instruction, fmt::format("failed to compute cache key: {}", e.what()));
        }
      }
      files = context_->checksum(matches);
    }
    // A URL is downloaded at every build, as docker does, to see whether it changed: its
    // content's digest is part of the key.
    fetched = fetch_urls(instruction);
    for (size_t i = 0; i < fetched.urls.size(); ++i) files += "\n" + fetched.urls[i] + "\n" + fetched.digests[i];
  }
  std::string written_out = text;  // the instruction with its heredocs' bodies: they are part of it
  for (const auto& heredoc : instruction.heredocs) written_out += "\n" + heredoc.content + heredoc.name;
  std::string key = cache_key(state.key, written_out, files, run_args);
  if (!options_.no_cache && !state.cache_broken) {
    if (auto cached = cache_.find(key)) {
      state.key = key;
      state.image = ojson::parse(cached->config.dump());
      state.layers = cached->layers;
      state.id = cached->id;
      state.manifest = cached->manifest;
      progress("CACHED " + shown);
      return;
    }
  }
  state.cache_broken = true;
  auto started = std::chrono::steady_clock::now();
  std::vector<std::string> output;
  if (k == "run") {
    output = run_step(state, instruction);
  } else if (k == "workdir") {
    const ojson& config = state.image["config"];
    std::string previous = config.value("WorkingDir", "");
    std::string path = fs::path(previous.empty() ? "/" : previous) / instruction.args.front();
    path = fs::path(path).lexically_normal().string();
    if (path.size() > 1 && path.back() == '/') path.pop_back();
    state.image["config"]["WorkingDir"] = path;
    workdir_step(state, path);
  } else {
    copy_step(stage, state, instruction, fetched);
  }
  stop_if_interrupted();
  state.key = key;
  state.id.clear();
  store_state(state, false);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  progress(fmt::format("{}  {:.1f}s", shown, seconds));
  for (const auto& line : output) progress("=> # " + line);
}

void Builder::file_step(State& state, const std::string& what, const std::function<void(const FileStepRoot&)>& body,
                        const Scratch* scratch) {
  FileStepRoot step_root;
  for (const auto& diff_id : state.diff_ids()) step_root.lowers.push_back(store_.layer_path(diff_id).string());
  step_root.layers_dir = store_.layers_dir();
  // On the store's file system: overlay's upper and work directories must share one.
  std::optional<Scratch> own;
  if (scratch == nullptr) scratch = &own.emplace(root_.dir() / "build" / ("step-" + random_hex(6)));
  step_root.scratch = scratch->path;
  body(step_root);
  if (is_empty_directory(step_root.upper())) return;  // nothing changed: no layer
  UniqueFd held = store_.lock();
  ch10::Changes changes;
  ch10::Descriptor layer = ch10::put_upper_layer(store_, step_root.upper(), what, changes);
  changes.commit();
  state.layers.push_back(layer);
  state.image["rootfs"]["diff_ids"].push_back(layer.digest);
}

void Builder::workdir_step(State& state, const std::string& path) {
  size_t before = state.layers.size();
  // BuildKit makes the directories as the stage's USER (dispatchWorkdir: llb.Mkdir WithUser).
  std::optional<Owner> owner;
  const ojson& config = state.image["config"];
  if (config.contains("User") && config["User"].is_string() && !config["User"].get<std::string>().empty()) {
    std::string user = config["User"].get<std::string>();
    size_t colon = user.find(':');
    owner = Owner{user.substr(0, colon), colon == std::string::npos ? "" : user.substr(colon + 1)};
  }
  file_step(state, "WORKDIR " + path,
            [&](const FileStepRoot& step_root) { make_directory_in(step_root, path, owner); });
  add_history(state, "WORKDIR " + path, state.layers.size() == before);
}

Fetched Builder::fetch_urls(const Instruction& instruction) {
  Fetched fetched;
  std::vector<std::string> urls;
  for (size_t i = 0; i + 1 < instruction.args.size(); ++i)
    if (is_url(instruction.args[i])) urls.push_back(instruction.args[i]);
  auto checksum = flag_value(instruction, "checksum");
  if (checksum) {  // BuildKit's rules for the flag
    if (urls.empty()) throw at(instruction, "checksum can't be specified for non-HTTP(S) sources");
    if (instruction.args.size() > 2) throw at(instruction, "checksum can't be specified for multiple sources");
    if (checksum->rfind("sha256:", 0) != 0)
      throw at(instruction, fmt::format("invalid checksum {}: only sha256:<64 hex digits> is supported", *checksum));
    if (!ch10::is_sha256_digest(*checksum))
      throw at(instruction, fmt::format("invalid checksum digest format: {}", *checksum));
  }
  if (urls.empty()) return fetched;
  fetched.scratch = std::make_unique<Scratch>(root_.dir() / "build" / ("step-" + random_hex(6)));
  fs::create_directories(fetched.scratch->path / "downloads");
  for (const auto& url : urls) {
    std::string file = (fetched.scratch->path / "downloads" / std::to_string(fetched.urls.size())).string();
    FetchResult result;
    try {
      UniqueFd out = open_fd(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
      result = fetch_url(url, out.get());
    } catch (const Error& e) {
      throw at(instruction, e.what());
    }
    if (result.status < 200 || result.status > 299)
      throw at(instruction, fmt::format("failed to fetch {}: invalid response status {}", url, result.status));
    if (checksum && result.digest != *checksum)
      throw at(instruction,
               fmt::format("digest mismatch for {}: expected {}, got {} (--checksum)", url, *checksum, result.digest));
    fetched.urls.push_back(url);
    fetched.digests.push_back(result.digest);
    fetched.downloads.push_back(Download{url_file_name(url), file, result.mtime});
  }
  return fetched;
}

void Builder::copy_step(const Stage& stage, State& state, const Instruction& instruction, const Fetched& fetched) {
  CopyRequest request;
  const std::string& k = instruction.keyword;
  if (auto from = flag_value(instruction, "from")) {
    std::vector<std::string> diff_ids;
    if (auto other = stage_named(*from); other && *other < stage.index)
      diff_ids = built_.at(*other).diff_ids();
    else
      diff_ids = store_.find(*from).diff_ids;
    for (const auto& diff_id : diff_ids) request.from_lowers.push_back(store_.layer_path(diff_id).string());
  } else {
    request.context = &*context_;
  }
  size_t sources = instruction.args.size() - 1;
  for (size_t i = 0; i < sources; ++i) {
    const std::string& source = instruction.args[i];
    if (source.rfind("<<", 0) == 0) {
      std::string name = source.substr(2);
      if (!name.empty() && name.front() == '-') name.erase(0, 1);
      if (name.size() >= 2 && (name.front() == '"' || name.front() == '\'')) name = name.substr(1, name.size() - 2);
      for (const auto& heredoc : instruction.heredocs)
        if (heredoc.name == name) request.heredocs.emplace_back(name, heredoc.content);
      continue;
    }
    if (k == "add" && is_url(source)) continue;  // fetched: request.downloads
    request.sources.push_back(source);
  }
  request.several_sources = sources > 1;
  std::string dest = instruction.args.back();
  std::string workdir = state.image["config"].value("WorkingDir", "");
  if (dest.empty() || dest.front() != '/') {
    bool trailing = dest.empty() || dest.back() == '/' || dest == ".";
    dest = (fs::path(workdir.empty() ? "/" : workdir) / dest).lexically_normal().string();
    if (trailing && dest.back() != '/') dest += '/';
  }
  request.dest = dest;
  if (auto chown = flag_value(instruction, "chown")) {
    size_t colon = chown->find(':');
    request.owner = Owner{chown->substr(0, colon), colon == std::string::npos ? "" : chown->substr(colon + 1)};
  }
  if (auto chmod = flag_value(instruction, "chmod")) {
    if (chmod->empty() || chmod->find_first_not_of("01234567") != std::string::npos || chmod->size() > 4)
      throw at(instruction, fmt::format("invalid chmod parameter: {}: use an octal mode such as 0755", *chmod));
    request.mode = static_cast<mode_t>(std::stoul(*chmod, nullptr, 8));
  }
  request.extract_archives = k == "add";
  request.downloads = fetched.downloads;
  std::string text = written(instruction);
  try {
    file_step(
        state, text, [&](const FileStepRoot& step_root) { copy_into(step_root, request); }, fetched.scratch.get());
  } catch (const Error& e) {
    stop_if_interrupted();  // its child died of the terminal's Ctrl-C
    throw at(instruction, e.what());
  }
  add_history(state, text + " # buildkit", false);
}

std::vector<std::string> Builder::run_step(State& state, const Instruction& instruction) {
  store_state(state);  // the container runs the image as it stands (its id)
  const ojson config = state.image["config"];
  std::vector<std::string> command;
  if (instruction.json) {
    command = instruction.args;
  } else {
    if (config.contains("Shell") && config["Shell"].is_array())
      command = config["Shell"].get<std::vector<std::string>>();
    else
      command = {"/bin/sh", "-c"};
    command.push_back(run_script(instruction));
  }
  StepCommand run;
  run.image_id = state.id;
  run.command = command;
  run.network = options_.network == "default" ? "bridge" : options_.network;
  Variables env = env_of(config);
  for (const auto& [key, value] : state.args)
    if (!env.count(key)) run.env.push_back(key + "=" + value);
  for (const char* proxy : kProxyArgs) {
    auto given = options_.build_args.find(proxy);
    if (given != options_.build_args.end() && !env.count(proxy) && !state.args.count(proxy))
      run.env.push_back(given->first + "=" + given->second);
  }
  run.workdir = config.value("WorkingDir", "");
  run.user = config.value("User", "");
  StepOutcome outcome = run_step_container(root_, "dockling-build-" + random_hex(6), run);
  struct Removal {  // the step's container goes, whatever happens below
    std::optional<ch10::ContainerRecord>& record;
    ~Removal() {
      if (record) try {
          ch10::ContainerStore::remove(*record);
        } catch (const Error&) {
        }
    }
  } removal{outcome.container};
  const std::vector<std::string>& lines = outcome.output;
  int code = outcome.exit_code;
  std::optional<ch10::ContainerRecord>& container = outcome.container;
  stop_if_interrupted();
  // BuildKit shows the command as its words joined by spaces: "/bin/sh -c echo hi".
  std::string shown;
  for (const auto& word : command) shown += (shown.empty() ? "" : " ") + word;
  if (code != 0 || !container) {
    std::string tail;  // its last lines of output, as BuildKit shows them
    for (size_t i = lines.size() > 10 ? lines.size() - 10 : 0; i < lines.size(); ++i) tail += "\n  " + lines[i];
    throw at(instruction, fmt::format("process \"{}\" did not complete successfully: exit code: {}{}",
                                      instruction.json ? nlohmann::json(command).dump() : shown, code, tail));
  }
  UniqueFd held = store_.lock();
  ch10::Changes changes;
  ch10::Descriptor layer = ch10::put_container_layer(store_, *container, changes);
  changes.commit();
  state.layers.push_back(layer);
  state.image["rootfs"]["diff_ids"].push_back(layer.digest);
  std::string args_prefix;
  if (!state.args.empty()) {
    args_prefix = fmt::format("|{}", state.args.size());
    for (const auto& [key, value] : state.args) args_prefix += fmt::format(" {}={}", key, value);
    args_prefix += " ";
  }
  add_history(state, "RUN " + args_prefix + (instruction.json ? nlohmann::json(command).dump() : shown) + " # buildkit",
              false);
  return outcome.output;
}

State Builder::build_stage(Stage& stage) {
  State state = base_of(stage);
  std::string base = stage.from.args.front();
  bool from_stage = stage_named(base).has_value() && *stage_named(base) < stage.index;
  std::string shown = base;
  if (!from_stage && ascii_lower(base) != "scratch") {
    try {
      shown = ch10::parse_reference(base).with_default_tag().full();
    } catch (const Error&) {
    }
  }
  progress(fmt::format("{} FROM {}", label(stage, 1), shown));
  int number = 1;
  // The base image's ONBUILD triggers run first, as instructions of this stage.
  if (state.image["config"].contains("OnBuild") && state.image["config"]["OnBuild"].is_array()) {
    auto triggers = state.image["config"]["OnBuild"].get<std::vector<std::string>>();
    state.image["config"].erase("OnBuild");
    state.id.clear();
    for (const auto& trigger : triggers) {
      Dockerfile one = parse_dockerfile("FROM scratch\n" + trigger + "\n");
      Instruction instruction = one.instructions.at(1);
      instruction.line = stage.from.line;
      step(stage, state, instruction, number, true);
    }
  }
  for (const auto& instruction : stage.body) {
    stop_if_interrupted();
    step(stage, state, instruction, number, false);
  }
  store_state(state);
  return state;
}

std::string Builder::build() {
  InterruptHandlers handlers;
  auto started = std::chrono::steady_clock::now();
  std::vector<ch10::Reference> names;
  for (const auto& tag : options_.tags) {
    try {
      names.push_back(ch10::parse_reference(tag).with_default_tag());
    } catch (const Error& e) {
      throw Error(fmt::format("invalid tag \"{}\": {}", tag, e.what()), 1);
    }
  }
  if (!fs::is_directory(options_.context))
    throw Error(fmt::format("unable to prepare context: path \"{}\" not found", options_.context), 1);
  read_dockerfile();
  size_t target = stages_.size() - 1;
  if (!options_.target.empty()) {
    auto found = stage_named(options_.target);
    if (!found || stage_named(options_.target) != found || stages_[*found].name != ascii_lower(options_.target))
      throw Error(fmt::format("failed to reach build target {} in Dockerfile", options_.target), 1);
    target = *found;
  }
  context_.emplace(fs::path(options_.context), load_ignore_rules(options_.context, dockerfile_path_));
  for (size_t index : needed_stages(target)) built_[index] = build_stage(stages_[index]);
  State& result = built_.at(target);
  for (const auto& [name, value] : options_.build_args)
    if (!used_build_args_.count(name))
      std::fprintf(stderr, "[Warning] One or more build-args [%s] were not consumed\n", name.c_str());
  // Named: each -t moves its name onto the image.
  {
    UniqueFd held = store_.lock();
    std::vector<ch10::Descriptor> index = store_.read_index();
    std::vector<ch10::Descriptor> before = index;
    const ch10::Descriptor& manifest = result.manifest;
    if (names.empty() &&
        std::none_of(index.begin(), index.end(), [&](const ch10::Descriptor& d) { return d.digest == manifest.digest; }))
      index.push_back(manifest);  // untagged: docker's <none>:<none>
    for (const auto& name : names) store_.point(index, name, manifest);
    auto as_json = [](const std::vector<ch10::Descriptor>& list) {
      ojson all = ojson::array();
      for (const auto& d : list) all.push_back(d.to_json());
      return all;
    };
    if (as_json(index) != as_json(before)) store_.write_index(index);  // a rebuild that changes nothing writes nothing
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  progress("exporting to image");
  progress(fmt::format("=> writing image {}", result.id));
  for (const auto& name : names) progress(fmt::format("=> naming to {}", name.full()));
  if (!options_.quiet) std::fprintf(stderr, "Built in %.1fs\n", seconds);
  return result.id;
}

}  // namespace

std::string build_image(const StateRoot& root, const BuildOptions& options) {
  Builder builder(root, options);
  return builder.build();
}

}  // namespace dockling::ch11
