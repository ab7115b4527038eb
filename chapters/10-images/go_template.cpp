// Go's text/template, the part docker's --format users type: a lexer (text and actions into
// items), a parser (items into a tree of text, actions, if/range/with), and an executor
// that walks the tree over JSON data. Its error messages are Go's, word for word, because
// users paste them into searches.
#include "go_template.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "dockling/error.hpp"

namespace dockling::ch10 {

namespace {

using Value = nlohmann::ordered_json;

// Docker's exit code for a template that does not parse (a "usage" status); a failed
// execution exits with 1, as every failed image command.
constexpr int kExitParse = 64;

// ---------------------------------------------------------------------------------------
// Lexer

enum class Item {
  text, left, right, space, field, dot, variable, identifier, keyword, string, number, boolean, nil,
  pipe, left_paren, right_paren, declare, assign, comma, character, eof, error,
};

struct Token {
  Item type = Item::eof;
  std::string value;  // the source text (text items: after trimming; strings: unquoted)
  size_t pos = 0;     // byte offset in the template
  int line = 1;
};

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool is_alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; }

std::string describe_char(unsigned char c) {
  if (c < 0x80 && std::isprint(c)) return fmt::format("U+{:04X} '{}'", c, static_cast<char>(c));
  return fmt::format("U+{:04X}", c);
}

class Lexer {
 public:
  explicit Lexer(const std::string& text) : text_(text) {}

  std::vector<Token> run() {
    while (lex_text() && lex_action()) {
    }
    emit(Item::eof, "", pos_);
    return std::move(items_);
  }

 private:
  int line_at(size_t pos) const {
    return 1 + static_cast<int>(std::count(text_.begin(), text_.begin() + static_cast<long>(pos), '\n'));
  }
  void emit(Item type, std::string value, size_t start) {
    items_.push_back(Token{type, std::move(value), start, line_at(start)});
  }
  bool fail(const std::string& message) {
    emit(Item::error, message, pos_);
    return false;
  }

  // Text up to the next "{{"; false at the end of the template.
  bool lex_text() {
    size_t start = pos_;
    size_t left = text_.find("{{", pos_);
    if (left == std::string::npos) left = text_.size();
    std::string text = text_.substr(start, left - start);
    if (trim_next_) {
      text.erase(0, std::min(text.size(), static_cast<size_t>(std::find_if_not(text.begin(), text.end(), is_space) -
                                                                 text.begin())));
      trim_next_ = false;
    }
    // "{{- " trims the white space before it (a '-' without the space is a negative number).
    bool trim_left = left + 3 < text_.size() && text_.compare(left, 3, "{{-") == 0 && is_space(text_[left + 3]);
    if (trim_left)
      while (!text.empty() && is_space(text.back())) text.pop_back();
    if (!text.empty()) emit(Item::text, text, start);
    if (left == text_.size()) {
      pos_ = left;
      return false;
    }
    emit(Item::left, "{{", left);
    pos_ = left + (trim_left ? 4 : 2);
    return true;
  }

  bool at_right_delim(bool* trim) const {
    if (text_.compare(pos_, 2, "}}") == 0) {
      *trim = false;
      return true;
    }
    if (is_space(text_[pos_]) && text_.compare(pos_ + 1, 3, "-}}") == 0) {
      *trim = true;
      return true;
    }
    return false;
  }

  // What may follow an identifier, a field or a variable.
  bool at_terminator() const {
    if (pos_ >= text_.size()) return true;
    char c = text_[pos_];
    if (is_space(c) || c == '.' || c == ',' || c == '|' || c == ':' || c == ')' || c == '(') return true;
    return text_.compare(pos_, 2, "}}") == 0;
  }

  // One action, from after "{{" through "}}".
  bool lex_action() {
    // A comment is a whole action: {{/* … */}}.
    if (text_.compare(pos_, 2, "/*") == 0) {
      size_t end = text_.find("*/", pos_ + 2);
      if (end == std::string::npos) return fail("unclosed comment");
      pos_ = end + 2;
      bool trim = false;
      if (pos_ >= text_.size() || !at_right_delim(&trim)) return fail("comment ends before closing delimiter");
      items_.pop_back();  // the left delimiter: a comment leaves no action behind
      pos_ += trim ? 4 : 2;
      trim_next_ = trim;
      return true;
    }
    int paren_depth = 0;
    while (true) {
      if (pos_ >= text_.size()) return fail("unclosed action");
      bool trim = false;
      if (paren_depth == 0 && at_right_delim(&trim)) {
        emit(Item::right, "}}", pos_);
        pos_ += trim ? 4 : 2;
        trim_next_ = trim;
        return true;
      }
      size_t start = pos_;
      char c = text_[pos_];
      if (is_space(c)) {
        while (pos_ < text_.size() && is_space(text_[pos_])) {
          bool t = false;
          if (at_right_delim(&t) && t) break;
          ++pos_;
        }
        emit(Item::space, text_.substr(start, pos_ - start), start);
      } else if (c == '|') {
        emit(Item::pipe, "|", pos_++);
      } else if (c == '(') {
        ++paren_depth;
        emit(Item::left_paren, "(", pos_++);
      } else if (c == ')') {
        if (--paren_depth < 0) return fail("unexpected right paren U+0029 ')'");
        emit(Item::right_paren, ")", pos_++);
      } else if (c == ':') {
        if (text_.compare(pos_, 2, ":=") != 0) return fail("expected :=");
        emit(Item::declare, ":=", pos_);
        pos_ += 2;
      } else if (c == '=') {
        emit(Item::assign, "=", pos_++);
      } else if (c == ',') {
        emit(Item::comma, ",", pos_++);
      } else if (c == '"') {
        if (!lex_quote()) return false;
      } else if (c == '`') {
        size_t end = text_.find('`', pos_ + 1);
        if (end == std::string::npos) return fail("unterminated raw quoted string");
        emit(Item::string, text_.substr(pos_ + 1, end - pos_ - 1), start);
        pos_ = end + 1;
      } else if (c == '$') {
        ++pos_;
        while (pos_ < text_.size() && is_alnum(text_[pos_])) ++pos_;
        if (!at_terminator()) return fail("bad character " + describe_char(static_cast<unsigned char>(text_[pos_])));
        emit(Item::variable, text_.substr(start, pos_ - start), start);
      } else if (c == '.' && pos_ + 1 < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_ + 1]))) {
        if (!lex_number()) return false;
      } else if (c == '.') {
        ++pos_;
        if (pos_ < text_.size() && is_alnum(text_[pos_])) {
          while (pos_ < text_.size() && is_alnum(text_[pos_])) ++pos_;
          if (!at_terminator()) return fail("bad character " + describe_char(static_cast<unsigned char>(text_[pos_])));
          emit(Item::field, text_.substr(start, pos_ - start), start);
        } else {
          emit(Item::dot, ".", start);
        }
      } else if (std::isdigit(static_cast<unsigned char>(c)) ||
                 ((c == '-' || c == '+') && pos_ + 1 < text_.size() &&
                  std::isdigit(static_cast<unsigned char>(text_[pos_ + 1])))) {
        if (!lex_number()) return false;
      } else if (is_alnum(c)) {
        while (pos_ < text_.size() && is_alnum(text_[pos_])) ++pos_;
        if (!at_terminator()) return fail("bad character " + describe_char(static_cast<unsigned char>(text_[pos_])));
        std::string word = text_.substr(start, pos_ - start);
        if (word == "true" || word == "false")
          emit(Item::boolean, word, start);
        else if (word == "nil")
          emit(Item::nil, word, start);
        else if (word == "if" || word == "else" || word == "end" || word == "range" || word == "with")
          emit(Item::keyword, word, start);
        else
          emit(Item::identifier, word, start);
      } else if (static_cast<unsigned char>(c) < 0x80 && std::isprint(static_cast<unsigned char>(c))) {
        emit(Item::character, std::string(1, c), pos_++);
      } else {
        return fail("bad character " + describe_char(static_cast<unsigned char>(c)));
      }
    }
  }

  bool lex_number() {
    size_t start = pos_;
    if (text_[pos_] == '+' || text_[pos_] == '-') ++pos_;
    while (pos_ < text_.size() && (is_alnum(text_[pos_]) || text_[pos_] == '.')) ++pos_;
    emit(Item::number, text_.substr(start, pos_ - start), start);
    return true;
  }

  bool lex_quote() {
    size_t start = pos_;
    std::string value;
    for (++pos_;; ++pos_) {
      if (pos_ >= text_.size() || text_[pos_] == '\n') return fail("unterminated quoted string");
      char c = text_[pos_];
      if (c == '"') break;
      if (c != '\\') {
        value += c;
        continue;
      }
      if (++pos_ >= text_.size()) return fail("unterminated quoted string");
      switch (text_[pos_]) {
        case 'n': value += '\n'; break;
        case 't': value += '\t'; break;
        case 'r': value += '\r'; break;
        case '\\': value += '\\'; break;
        case '"': value += '"'; break;
        case '\'': value += '\''; break;
        case '0': value += '\0'; break;
        default: return fail("invalid syntax");  // strconv.Unquote's word for an escape it does not know
      }
    }
    ++pos_;
    emit(Item::string, value, start);
    return true;
  }

  const std::string& text_;
  size_t pos_ = 0;
  bool trim_next_ = false;
  std::vector<Token> items_;
};

// ---------------------------------------------------------------------------------------
// Tree

struct Pipeline;

struct Operand {
  enum Kind { field, dot, variable, identifier, literal, nil, pipeline } kind = dot;
  size_t pos = 0;
  std::string text;                 // as Go prints the node: ".Config.Env", "$x", "\"a\"", "(…)"
  std::string name;                 // identifier or variable ("$x")
  std::vector<std::string> fields;  // field names after the variable, the dot or the parenthesis
  Value literal_value;
  std::shared_ptr<Pipeline> pipe;
};

struct Command {
  size_t pos = 0;
  std::string text;
  std::vector<Operand> args;
};

struct Pipeline {
  size_t pos = 0;
  std::vector<std::string> declared;  // $x := …; for range: $i, $v := …
  bool assigns = false;               // $x = … (no new variable)
  std::vector<Command> commands;
};

struct Node;
using List = std::vector<Node>;

struct Node {
  enum Kind { text, action, if_, range, with } kind = text;
  std::string content;  // of a text node
  Pipeline pipe;
  List list;
  List else_list;
};

const std::vector<std::string>& function_names() {
  static const std::vector<std::string> names{"and",   "eq",    "ge",      "gt",    "index", "join",   "json",
                                              "le",    "len",   "lower",   "lt",    "ne",    "not",    "or",
                                              "pad",   "print", "printf", "println", "split", "title", "truncate", "upper"};
  return names;
}

class Parser {
 public:
  explicit Parser(std::vector<Token> items) : items_(std::move(items)) {}

  List parse() {
    List root;
    while (peek().type != Item::eof) {
      std::string stop;
      Node node;
      if (!text_or_action(&node, &stop)) root.push_back(std::move(node));
      if (!stop.empty()) fail(fmt::format("unexpected {{{{{}}}}}", stop == "end" ? "end" : "else"), current());
    }
    return root;
  }

 private:
  [[noreturn]] void fail(const std::string& message, const Token& at) {
    throw Error(fmt::format("template parsing error: template: :{}: {}", at.line, message), kExitParse);
  }
  const Token& peek() { return items_[next_]; }
  const Token& current() { return items_[next_ == 0 ? 0 : next_ - 1]; }
  const Token& next() {
    const Token& item = items_[next_];
    if (item.type == Item::error) fail(item.value, item);
    if (next_ + 1 < items_.size()) ++next_;
    return item;
  }
  const Token& next_non_space() {
    while (peek().type == Item::space) next();
    return next();
  }
  const Token& peek_non_space() {
    while (peek().type == Item::space) next();
    if (peek().type == Item::error) fail(peek().value, peek());
    return peek();
  }
  std::string describe(const Token& item) {
    switch (item.type) {
      case Item::eof: return "EOF";
      case Item::keyword: return "<" + item.value + ">";
      default: return "\"" + item.value + "\"";
    }
  }

  // Parses one text or action into `node`. Returns true when nothing is to be added (a
  // {{end}} or an {{else}}: their keyword goes to `stop`; a bare else-if: "else if").
  bool text_or_action(Node* node, std::string* stop) {
    const Token& item = next();
    if (item.type == Item::text) {
      node->kind = Node::text;
      node->content = item.value;
      return false;
    }
    // item is the left delimiter
    const Token& first = peek_non_space();
    if (first.type == Item::keyword) {
      next();
      if (first.value == "end" || first.value == "else") {
        if (first.value == "else" && peek_non_space().type == Item::keyword && peek().value == "if") {
          *stop = "else if";
          return true;
        }
        expect_right("end");
        *stop = first.value;
        return true;
      }
      control(node, first.value);
      return false;
    }
    node->kind = Node::action;
    node->pipe = pipeline("command", Item::right);
    return false;
  }

  void expect_right(const std::string& context) {
    const Token& item = next_non_space();
    if (item.type != Item::right) fail(fmt::format("unexpected {} in {}", describe(item), context), item);
  }

  // The list of a block up to its {{end}} or {{else}}; returns which.
  std::string item_list(List* list) {
    while (true) {
      if (peek_checked().type == Item::eof) fail("unexpected EOF", peek());
      Node node;
      std::string stop;
      if (!text_or_action(&node, &stop)) list->push_back(std::move(node));
      if (!stop.empty()) return stop;
    }
  }
  // The next item; a lexer error is reported here.
  const Token& peek_checked() {
    if (peek().type == Item::error) fail(peek().value, peek());
    return peek();
  }

  // {{if}}, {{range}}, {{with}}: pipeline, list, maybe {{else}} and its list, {{end}}.
  void control(Node* node, const std::string& keyword) {
    size_t mark = vars_.size();
    node->kind = keyword == "if" ? Node::if_ : keyword == "range" ? Node::range : Node::with;
    node->pipe = pipeline(keyword, Item::right);
    std::string stop = item_list(&node->list);
    if (stop == "else if") {
      // {{else if x}} is {{else}}{{if x}}…{{end}}{{end}}: the inner if takes the {{end}}.
      next_non_space();  // the "if" keyword
      Node inner;
      control(&inner, "if");
      node->else_list.push_back(std::move(inner));
    } else if (stop == "else") {
      std::string end = item_list(&node->else_list);
      if (end != "end") fail("expected end; found {{else}}", current());
    }
    vars_.resize(mark);
  }

  Pipeline pipeline(const std::string& context, Item end) {
    Pipeline pipe;
    pipe.pos = peek_non_space().pos;
    // Declarations: $x := …, $i, $v := … (range), $x = …
    if (peek().type == Item::variable) {
      size_t saved = next_;
      std::vector<std::string> names{next().value};
      bool comma = false;
      if (peek_non_space().type == Item::comma && context == "range") {
        next();
        if (peek_non_space().type == Item::variable) {
          names.push_back(next().value);
          comma = true;
        }
      }
      const Token& op = peek_non_space();
      if (op.type == Item::declare || op.type == Item::assign) {
        next();
        pipe.declared = names;
        pipe.assigns = op.type == Item::assign;
        if (pipe.assigns) {
          for (const auto& name : names) use_variable(name, op);
        }
      } else if (comma) {
        fail(fmt::format("range can only initialize variables"), op);
      } else {
        next_ = saved;
      }
    }
    while (true) {
      const Token& item = peek_non_space();
      if (item.type == end) {
        if (pipe.commands.empty()) fail("missing value for " + context, item);
        next();
        break;
      }
      if (end == Item::right_paren && item.type == Item::right) fail("unclosed left paren", item);
      if (item.type == Item::right || item.type == Item::right_paren || item.type == Item::eof) {
        fail(fmt::format("unexpected {} in {}", describe(item), context == "parenthesized pipeline" ? "operand" : context), item);
      }
      pipe.commands.push_back(command());
    }
    if (!pipe.assigns)
      for (const auto& name : pipe.declared) vars_.push_back(name);
    return pipe;
  }

  Command command() {
    Command cmd;
    cmd.pos = peek_non_space().pos;
    while (true) {
      peek_non_space();
      if (auto op = operand()) cmd.args.push_back(std::move(*op));
      const Token& item = peek();
      if (item.type == Item::space) {
        next();
        continue;
      }
      if (item.type == Item::right || item.type == Item::right_paren) break;
      if (item.type == Item::pipe) {
        next();
        if (peek_non_space().type == Item::right || peek().type == Item::right_paren) fail("missing command", peek());
        break;
      }
      if (item.type == Item::error) fail(item.value, item);
      fail(fmt::format("unexpected {} in operand", describe(item)), item);
    }
    if (cmd.args.empty()) fail("empty command", current());
    std::vector<std::string> texts;
    for (const auto& arg : cmd.args) texts.push_back(arg.text);
    cmd.text = fmt::format("{}", fmt::join(texts, " "));
    return cmd;
  }

  void use_variable(const std::string& name, const Token& at) {
    if (name != "$" && std::find(vars_.begin(), vars_.end(), name) == vars_.end())
      fail(fmt::format("undefined variable \"{}\"", name), at);
  }

  std::optional<Operand> operand() {
    const Token& item = peek();
    Operand op;
    op.pos = item.pos;
    switch (item.type) {
      case Item::identifier: {
        const auto& names = function_names();
        if (std::find(names.begin(), names.end(), item.value) == names.end())
          fail(fmt::format("function \"{}\" not defined", item.value), item);
        op.kind = Operand::identifier;
        op.name = op.text = next().value;
        break;
      }
      case Item::dot:
        op.kind = Operand::dot;
        op.text = next().value;
        break;
      case Item::nil:
        op.kind = Operand::nil;
        op.text = next().value;
        break;
      case Item::variable:
        use_variable(item.value, item);
        op.kind = Operand::variable;
        op.name = op.text = next().value;
        break;
      case Item::field:
        op.kind = Operand::field;
        op.fields.push_back(item.value.substr(1));
        op.text = next().value;
        break;
      case Item::boolean:
        op.kind = Operand::literal;
        op.literal_value = item.value == "true";
        op.text = next().value;
        break;
      case Item::string: {
        op.kind = Operand::literal;
        op.literal_value = item.value;
        op.text = Value(item.value).dump();
        next();
        break;
      }
      case Item::number: {
        op.kind = Operand::literal;
        op.literal_value = parse_number(item);
        op.text = next().value;
        break;
      }
      case Item::left_paren: {
        next();
        op.kind = Operand::pipeline;
        op.pipe = std::make_shared<Pipeline>(pipeline("parenthesized pipeline", Item::right_paren));
        std::vector<std::string> texts;
        for (const auto& cmd : op.pipe->commands) texts.push_back(cmd.text);
        op.text = fmt::format("({})", fmt::join(texts, " | "));
        break;
      }
      default:
        return std::nullopt;
    }
    // Fields chained to the operand: .A.B, $x.A, (…).A; Go names the chain by its second item.
    bool chained = false;
    while (peek().type == Item::field) {
      if (op.kind == Operand::identifier || op.kind == Operand::literal || op.kind == Operand::nil)
        fail(fmt::format("unexpected . after term \"{}\"", op.text), peek());
      if (!chained) op.pos = peek().pos;
      chained = true;
      op.fields.push_back(peek().value.substr(1));
      op.text += next().value;
    }
    if (op.kind == Operand::dot && chained) op.kind = Operand::field;
    return op;
  }

  Value parse_number(const Token& item) {
    const std::string& text = item.value;
    char* end = nullptr;
    errno = 0;
    long long integer = std::strtoll(text.c_str(), &end, 0);
    if (end != nullptr && *end == '\0' && errno == 0) return integer;
    double real = std::strtod(text.c_str(), &end);
    if (end != nullptr && *end == '\0' && !text.empty()) return real;
    fail(fmt::format("bad number syntax: \"{}\"", text), item);
  }

  std::vector<Token> items_;
  size_t next_ = 0;
  std::vector<std::string> vars_{"$"};
};

// ---------------------------------------------------------------------------------------
// Execution

std::string go_type(const Value& value) {
  switch (value.type()) {
    case Value::value_t::string: return "string";
    case Value::value_t::boolean: return "bool";
    case Value::value_t::array: return "[]interface {}";
    case Value::value_t::object: return "map[string]interface {}";
    case Value::value_t::null: return "<nil>";
    default: return "json.Number";
  }
}

std::string go_printf(const std::string& format, const std::vector<Value>& values);

bool truthy(const Value& value) {
  switch (value.type()) {
    case Value::value_t::null: return false;
    case Value::value_t::boolean: return value.get<bool>();
    case Value::value_t::string: return !value.get_ref<const std::string&>().empty();
    case Value::value_t::array:
    case Value::value_t::object: return !value.empty();
    case Value::value_t::number_float: return value.get<double>() != 0;
    default: return value.get<long long>() != 0;
  }
}

std::vector<std::string> sorted_keys(const Value& object) {
  std::vector<std::string> keys;
  for (const auto& [key, _] : object.items()) keys.push_back(key);
  std::sort(keys.begin(), keys.end());
  return keys;
}

class Executor {
 public:
  Executor(const std::string& source, const TemplateOptions& options, const Value& root)
      : source_(source), options_(options), root_(&root) {
    vars_.emplace_back("$", root);
  }

  void walk(const List& list, const Value& dot) {
    for (const auto& node : list) walk(node, dot);
  }

  std::string out;

 private:
  void walk(const Node& node, const Value& dot) {
    switch (node.kind) {
      case Node::text: out += node.content; return;
      case Node::action: {
        Value value = pipeline(node.pipe, dot);
        if (node.pipe.declared.empty()) out += value.is_null() ? "<no value>" : go_format(value);
        return;
      }
      case Node::if_:
      case Node::with: {
        size_t mark = vars_.size();
        Value value = pipeline(node.pipe, dot);
        if (truthy(value))
          walk(node.list, node.kind == Node::with ? value : dot);
        else
          walk(node.else_list, dot);
        vars_.resize(mark);
        return;
      }
      case Node::range: range(node, dot); return;
    }
  }

  void range(const Node& node, const Value& dot) {
    size_t mark = vars_.size();
    Pipeline pipe = node.pipe;
    std::vector<std::string> names = pipe.declared;
    pipe.declared.clear();
    Value value = pipeline(pipe, dot);
    auto each = [&](const Value& key, const Value& element) {
      if (names.size() == 1) vars_.emplace_back(names[0], element);
      if (names.size() == 2) {
        vars_.emplace_back(names[0], key);
        vars_.emplace_back(names[1], element);
      }
      walk(node.list, element);
      vars_.resize(mark);
    };
    bool any = false;
    if (value.is_array()) {
      for (size_t i = 0; i < value.size(); ++i) each(Value(i), value[i]);
      any = !value.empty();
    } else if (value.is_object()) {
      for (const auto& key : sorted_keys(value)) each(Value(key), value[key]);
      any = !value.empty();
    } else if (!value.is_null()) {
      fail("range can't iterate over " + go_format(value));
    }
    if (!any) walk(node.else_list, dot);
    vars_.resize(mark);
  }

  Value pipeline(const Pipeline& pipe, const Value& dot) {
    Value value;
    bool has_final = false;
    for (const auto& cmd : pipe.commands) {
      value = command(cmd, dot, has_final ? &value : nullptr);
      has_final = true;
    }
    for (const auto& name : pipe.declared) {
      if (pipe.assigns) {
        for (auto it = vars_.rbegin(); it != vars_.rend(); ++it)
          if (it->first == name) {
            it->second = value;
            break;
          }
      } else {
        vars_.emplace_back(name, value);
      }
    }
    return value;
  }

  Value command(const Command& cmd, const Value& dot, const Value* final) {
    const Operand& first = cmd.args[0];
    bool has_args = cmd.args.size() > 1 || final != nullptr;
    switch (first.kind) {
      case Operand::identifier: return call(first, cmd, dot, final);
      case Operand::field:
      case Operand::variable:
        if (has_args && !first.fields.empty()) {
          at(first);
          fail(first.fields.back() + " is not a method but has arguments");
        }
        break;
      case Operand::nil: at(first); fail("nil is not a command");
      default: break;
    }
    if (has_args) {
      at(first);
      fail("can't give argument to non-function " + first.text);
    }
    return arg(first, dot);
  }

  Value arg(const Operand& op, const Value& dot) {
    switch (op.kind) {
      case Operand::dot: return dot;
      case Operand::literal: return op.literal_value;
      case Operand::nil: return nullptr;
      case Operand::identifier: {
        Command empty;
        empty.pos = op.pos;
        empty.text = op.text;
        empty.args.push_back(op);
        return call(op, empty, dot, nullptr);
      }
      case Operand::field: return fields(op, dot);
      case Operand::variable: {
        for (auto it = vars_.rbegin(); it != vars_.rend(); ++it)
          if (it->first == op.name) return fields(op, it->second);
        at(op);
        fail(fmt::format("undefined variable: {}", op.name));
      }
      case Operand::pipeline: {
        Value value = pipeline(*op.pipe, dot);
        return fields(op, value);
      }
    }
    return nullptr;
  }

  // Follows op.fields from `receiver`.
  Value fields(const Operand& op, const Value& receiver) {
    if (op.fields.empty()) return receiver;
    at(op);
    const Value* current = &receiver;
    Value holder;
    for (const auto& name : op.fields) {
      if (current->is_object()) {
        auto found = current->find(name);
        if (found != current->end()) {
          holder = Value(*found);
          current = &holder;
          continue;
        }
        if (current == root_ && !options_.root_type.empty())
          fail(fmt::format("can't evaluate field {} in type {}", name, options_.root_type));
        if (options_.missing_key_error) fail(fmt::format("map has no entry for key \"{}\"", name));
        holder = nullptr;
        current = &holder;
      } else if (current->is_null()) {
        fail(fmt::format("nil pointer evaluating interface {{}}.{}", name));
      } else {
        fail(fmt::format("can't evaluate field {} in type interface {{}}", name));
      }
    }
    return *current;
  }

  // A function call: arguments are evaluated first, then checked.
  Value call(const Operand& function, const Command& cmd, const Value& dot, const Value* final) {
    struct Arg {
      Value value;
      const Operand* op;
    };
    std::vector<Arg> args;
    for (size_t i = 1; i < cmd.args.size(); ++i) args.push_back({arg(cmd.args[i], dot), &cmd.args[i]});
    if (final != nullptr) args.push_back({*final, nullptr});
    const std::string& name = function.name;
    auto want = [&](size_t n) {
      if (args.size() != n) {
        at(function);
        fail(fmt::format("wrong number of args for {}: want {} got {}", name, n, args.size()));
      }
    };
    auto string_arg = [&](size_t i) -> std::string {
      if (!args[i].value.is_string()) {
        if (args[i].op != nullptr) at(*args[i].op);
        if (args[i].value.is_null()) fail("invalid value; expected string");
        fail(fmt::format("wrong type for value; expected string; got {}", go_type(args[i].value)));
      }
      return args[i].value.get<std::string>();
    };
    auto int_arg = [&](size_t i) -> long long {
      if (!args[i].value.is_number_integer()) {
        if (args[i].op != nullptr) at(*args[i].op);
        fail(fmt::format("wrong type for value; expected int; got {}", go_type(args[i].value)));
      }
      return args[i].value.get<long long>();
    };
    auto call_error = [&](const std::string& message) {
      at_command(cmd);
      fail(fmt::format("error calling {}: {}", name, message));
    };

    if (name == "json") {
      want(1);
      return args[0].value.dump(-1, ' ', false, Value::error_handler_t::replace);
    }
    if (name == "upper" || name == "lower" || name == "title") {
      want(1);
      std::string text = string_arg(0);
      bool start = true;
      for (auto& c : text) {
        unsigned char u = static_cast<unsigned char>(c);
        if (name == "upper") c = static_cast<char>(std::toupper(u));
        if (name == "lower") c = static_cast<char>(std::tolower(u));
        if (name == "title") {
          if (start) c = static_cast<char>(std::toupper(u));
          start = !(std::isalnum(u) || c == '_' || c == '\'' || u >= 0x80);
        }
      }
      return text;
    }
    if (name == "join") {
      want(2);
      if (!args[0].value.is_array()) {
        if (args[0].op != nullptr) at(*args[0].op);
        fail(fmt::format("wrong type for value; expected []string; got {}", go_type(args[0].value)));
      }
      std::string separator = string_arg(1), text;
      for (size_t i = 0; i < args[0].value.size(); ++i) text += (i ? separator : "") + go_format(args[0].value[i]);
      return text;
    }
    if (name == "split") {
      want(2);
      std::string text = string_arg(0), separator = string_arg(1);
      Value parts = Value::array();
      if (separator.empty()) {
        for (char c : text) parts.push_back(std::string(1, c));
        return parts;
      }
      size_t start = 0;
      for (size_t found; (found = text.find(separator, start)) != std::string::npos; start = found + separator.size())
        parts.push_back(text.substr(start, found - start));
      parts.push_back(text.substr(start));
      return parts;
    }
    if (name == "pad") {
      want(3);
      std::string text = string_arg(0);
      return std::string(static_cast<size_t>(std::max(0LL, int_arg(1))), ' ') + text +
             std::string(static_cast<size_t>(std::max(0LL, int_arg(2))), ' ');
    }
    if (name == "truncate") {
      want(2);
      std::string text = string_arg(0);
      long long length = int_arg(1);
      if (length >= 0 && static_cast<size_t>(length) < text.size()) text.resize(static_cast<size_t>(length));
      return text;
    }
    if (name == "len") {
      want(1);
      const Value& value = args[0].value;
      if (value.is_string()) return value.get_ref<const std::string&>().size();
      if (value.is_array() || value.is_object()) return value.size();
      call_error(value.is_null() ? "len of nil pointer" : "len of type " + go_type(value));
    }
    if (name == "index") {
      if (args.empty()) {
        at(function);
        fail("wrong number of args for index: want at least 1 got 0");
      }
      Value item = args[0].value;
      for (size_t i = 1; i < args.size(); ++i) {
        const Value& key = args[i].value;
        if (item.is_array()) {
          if (!key.is_number_integer()) call_error("cannot index slice/array with type " + go_type(key));
          long long n = key.get<long long>();
          if (n < 0 || static_cast<size_t>(n) >= item.size()) call_error(fmt::format("index out of range: {}", n));
          item = Value(item[static_cast<size_t>(n)]);
        } else if (item.is_object()) {
          if (!key.is_string())
            call_error(fmt::format("value has type {}; should be string", key.is_number_integer() ? "int" : go_type(key)));
          auto found = item.find(key.get<std::string>());
          // A missing key (or a missing map) is "": docker's maps (Labels, GraphDriver.Data)
          // are map[string]string, whose zero value is the empty string.
          item = found == item.end() ? Value("") : Value(*found);
        } else if (item.is_null() || (i > 1 && item == "")) {
          item = "";  // a missing map, or indexing on past a missing key (see above)
        } else {
          call_error("can't index item of type " + go_type(item));
        }
      }
      return item;
    }
    if (name == "not") {
      want(1);
      return !truthy(args[0].value);
    }
    if (name == "and" || name == "or") {
      if (args.empty()) {
        at(function);
        fail(fmt::format("wrong number of args for {}: want at least 1 got 0", name));
      }
      for (const auto& a : args)
        if (truthy(a.value) == (name == "or")) return a.value;
      return args.back().value;
    }
    if (name == "eq" || name == "ne" || name == "lt" || name == "le" || name == "gt" || name == "ge") {
      if (name == "eq") {
        if (args.size() < 2) call_error("missing argument for comparison");
        for (size_t i = 1; i < args.size(); ++i)
          if (compare(args[0].value, args[i].value, cmd, name) == 0) return true;
        return false;
      }
      want(2);
      int order = compare(args[0].value, args[1].value, cmd, name);
      if (name == "ne") return order != 0;
      if (order == 2) call_error("invalid type for comparison");
      if (name == "lt") return order < 0;
      if (name == "le") return order <= 0;
      if (name == "gt") return order > 0;
      return order >= 0;
    }
    if (name == "printf") {
      if (args.empty()) {
        at(function);
        fail("wrong number of args for printf: want at least 1 got 0");
      }
      std::string format = string_arg(0);
      std::vector<Value> values;
      for (size_t i = 1; i < args.size(); ++i) values.push_back(args[i].value);
      return go_printf(format, values);
    }
    if (name == "print" || name == "println") {
      std::string text;
      for (size_t i = 0; i < args.size(); ++i) {
        // Sprint: a space between two operands when neither is a string; Sprintln: always.
        if (i > 0 && (name == "println" || (!args[i - 1].value.is_string() && !args[i].value.is_string()))) text += ' ';
        text += args[i].value.is_null() ? "<nil>" : go_format(args[i].value);
      }
      if (name == "println") text += '\n';
      return text;
    }
    at(function);
    fail(fmt::format("function \"{}\" not defined", name));
  }

  // -1, 0, 1; 2 for equal-comparable values without an order (bools).
  int compare(const Value& a, const Value& b, const Command& cmd, const std::string& name) {
    auto error = [&](const std::string& message) {
      at_command(cmd);
      fail(fmt::format("error calling {}: {}", name, message));
    };
    if (a.is_number() && b.is_number()) {
      double x = a.get<double>(), y = b.get<double>();
      return x < y ? -1 : x > y ? 1 : 0;
    }
    if (a.is_string() && b.is_string()) return a.get<std::string>().compare(b.get<std::string>()) < 0 ? -1 : a == b ? 0 : 1;
    if (a.is_boolean() && b.is_boolean()) return a == b ? 0 : 2;
    if (a.is_array() || a.is_object() || b.is_array() || b.is_object() || a.is_null() || b.is_null())
      error("invalid type for comparison");
    error("incompatible types for comparison");
    return 2;
  }

  void at(const Operand& op) {
    at_pos_ = op.pos;
    at_text_ = op.text;
  }
  void at_command(const Command& cmd) {
    at_pos_ = cmd.pos;
    at_text_ = cmd.text;
  }

  [[noreturn]] void fail(const std::string& message) {
    std::string before = source_.substr(0, std::min(at_pos_, source_.size()));
    size_t newline = before.rfind('\n');
    size_t column = newline == std::string::npos ? at_pos_ : at_pos_ - (newline + 1);
    int line = 1 + static_cast<int>(std::count(before.begin(), before.end(), '\n'));
    throw Error(fmt::format("template parsing error: template: :{}:{}: executing \"\" at <{}>: {}", line, column,
                            at_text_, message),
                1);
  }

  const std::string& source_;
  const TemplateOptions& options_;
  const Value* root_;
  std::vector<std::pair<std::string, Value>> vars_;
  size_t at_pos_ = 0;
  std::string at_text_;
};

// Go's fmt.Sprintf for the verbs templates use: %s %v %d %q %t %x %f %%, with flags
// (-, 0), width and precision; a missing operand prints as Go's "%!s(MISSING)".
std::string go_printf(const std::string& format, const std::vector<Value>& values) {
  std::string out;
  size_t next = 0;
  for (size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%') {
      out += format[i];
      continue;
    }
    if (++i >= format.size()) {
      out += "%!(NOVERB)";
      break;
    }
    bool left = false, zero = false;
    for (; i < format.size() && std::strchr("-+# 0", format[i]) != nullptr; ++i) {
      if (format[i] == '-') left = true;
      if (format[i] == '0') zero = true;
    }
    size_t width = 0;
    for (; i < format.size() && std::isdigit(static_cast<unsigned char>(format[i])); ++i)
      width = width * 10 + static_cast<size_t>(format[i] - '0');
    std::optional<size_t> precision;
    if (i < format.size() && format[i] == '.') {
      precision = 0;
      for (++i; i < format.size() && std::isdigit(static_cast<unsigned char>(format[i])); ++i)
        *precision = *precision * 10 + static_cast<size_t>(format[i] - '0');
    }
    if (i >= format.size()) {
      out += "%!(NOVERB)";
      break;
    }
    char verb = format[i];
    if (verb == '%') {
      out += '%';
      continue;
    }
    if (next >= values.size()) {
      out += fmt::format("%!{}(MISSING)", verb);
      continue;
    }
    const Value& value = values[next++];
    std::string text;
    bool numeric = value.is_number();
    switch (verb) {
      case 'd':
        text = value.is_number() ? fmt::format("{}", static_cast<long long>(value.get<double>())) : go_format(value);
        break;
      case 'f':
        text = value.is_number() ? fmt::format("{:.{}f}", value.get<double>(), precision.value_or(6)) : go_format(value);
        break;
      case 'x':
        if (value.is_number_integer()) {
          text = fmt::format("{:x}", value.get<long long>());
        } else {
          for (unsigned char c : go_format(value)) text += fmt::format("{:02x}", c);
        }
        break;
      case 'q':
        text = value.is_string() ? value.dump(-1, ' ', false, Value::error_handler_t::replace) : go_format(value);
        break;
      default:  // s, v, t: as Go prints the value
        text = value.is_null() ? "<nil>" : go_format(value);
        if (precision && verb == 's' && *precision < text.size()) text.resize(*precision);
        break;
    }
    if (text.size() < width) {
      std::string pad(width - text.size(), zero && numeric && !left ? '0' : ' ');
      text = left ? text + pad : pad + text;
    }
    out += text;
  }
  return out;
}

std::string format_number(const Value& value) {
  if (!value.is_number_float()) return value.dump();
  double number = value.get<double>();
  if (std::isfinite(number) && number == std::floor(number) && std::fabs(number) < 1e21)
    return fmt::format("{:.0f}", number);
  return fmt::format("{}", number);
}

}  // namespace

struct Template::Parsed {
  std::string source;
  List tree;
};

Template::Template(const std::string& text, TemplateOptions options)
    : parsed_(std::make_unique<Parsed>()), options_(std::move(options)) {
  parsed_->source = text;
  Parser parser(Lexer(parsed_->source).run());
  parsed_->tree = parser.parse();
}

Template::~Template() = default;
Template::Template(Template&&) noexcept = default;
Template& Template::operator=(Template&&) noexcept = default;

std::string Template::render(const nlohmann::ordered_json& data) const {
  Executor executor(parsed_->source, options_, data);
  executor.walk(parsed_->tree, data);
  return std::move(executor.out);
}

std::string render_template(const std::string& text, const nlohmann::ordered_json& data, const TemplateOptions& options) {
  return Template(text, options).render(data);
}

std::string render_template(const std::string& text, const nlohmann::json& data, const TemplateOptions& options) {
  return Template(text, options).render(nlohmann::ordered_json(data));
}

std::string go_format(const nlohmann::ordered_json& value) {
  switch (value.type()) {
    case Value::value_t::null: return "<nil>";
    case Value::value_t::string: return value.get<std::string>();
    case Value::value_t::boolean: return value.get<bool>() ? "true" : "false";
    case Value::value_t::array: {
      std::string text = "[";
      for (size_t i = 0; i < value.size(); ++i) text += (i ? " " : "") + go_format(value[i]);
      return text + "]";
    }
    case Value::value_t::object: {
      std::string text = "map[";
      bool first = true;
      for (const auto& key : sorted_keys(value)) {
        text += (first ? "" : " ") + key + ":" + go_format(value[key]);
        first = false;
      }
      return text + "]";
    }
    default: return format_number(value);
  }
}

}  // namespace dockling::ch10
