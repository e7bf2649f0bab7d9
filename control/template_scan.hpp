// Walks the {{ tags }} of a Mustache template so the loader can reject a placeholder that has
// no value before anything is rendered (kainjow renders an unknown name as an empty string).
// Header-only: the config library (config.cpp) and the renderer both use it.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace bs::config {

struct TemplateTag {
  enum Kind { variable, section, inverted, close, comment, partial, delimiter };
  Kind kind = variable;
  std::string name;  // trimmed
  int line = 1, column = 1;
  // The names of the sections ({{#x}} / {{^x}}) this tag is nested in, outermost first.
  std::vector<std::pair<Kind, std::string>> enclosing;
};

struct TemplateScan {
  std::vector<TemplateTag> tags;
  std::string error;  // empty when the template is well formed
  int error_line = 0, error_column = 0;
};

inline TemplateScan scan_template(std::string_view text) {
  TemplateScan out;
  std::vector<std::pair<TemplateTag::Kind, std::string>> stack;
  std::vector<std::pair<int, int>> stack_pos;
  int line = 1, column = 1;
  auto advance = [&](size_t from, size_t to) {
    for (size_t i = from; i < to && i < text.size(); ++i) {
      if (text[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
  };
  auto fail = [&](std::string msg, int l, int c) {
    out.error = std::move(msg);
    out.error_line = l;
    out.error_column = c;
    return out;
  };
  size_t pos = 0;
  while (true) {
    size_t open = text.find("{{", pos);
    if (open == std::string_view::npos) break;
    advance(pos, open);
    int tag_line = line, tag_col = column;
    bool triple = open + 2 < text.size() && text[open + 2] == '{';
    size_t body = open + (triple ? 3 : 2);
    size_t close = text.find(triple ? "}}}" : "}}", body);
    if (close == std::string_view::npos) return fail("unterminated tag '{{'", tag_line, tag_col);
    std::string_view inner = text.substr(body, close - body);
    TemplateTag tag;
    tag.line = tag_line;
    tag.column = tag_col;
    tag.kind = TemplateTag::variable;
    if (!triple && !inner.empty()) {
      switch (inner.front()) {
        case '#':
          tag.kind = TemplateTag::section;
          break;
        case '^':
          tag.kind = TemplateTag::inverted;
          break;
        case '/':
          tag.kind = TemplateTag::close;
          break;
        case '!':
          tag.kind = TemplateTag::comment;
          break;
        case '>':
          tag.kind = TemplateTag::partial;
          break;
        case '=':
          tag.kind = TemplateTag::delimiter;
          break;
        default:
          break;
      }
      if (tag.kind != TemplateTag::variable || inner.front() == '&') inner.remove_prefix(1);
    }
    while (!inner.empty() && (inner.front() == ' ' || inner.front() == '\t'))
      inner.remove_prefix(1);
    while (!inner.empty() && (inner.back() == ' ' || inner.back() == '\t')) inner.remove_suffix(1);
    tag.name = std::string(inner);
    tag.enclosing = stack;
    if (tag.kind == TemplateTag::partial)
      return fail("partials ({{> name}}) are not supported", tag_line, tag_col);
    if (tag.kind == TemplateTag::delimiter)
      return fail("delimiter changes ({{=...=}}) are not supported", tag_line, tag_col);
    if (tag.kind != TemplateTag::comment) {
      bool ok = !tag.name.empty();
      for (char c : tag.name)
        ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || c == '.');
      if (!ok)
        return fail("'" + tag.name + "' is not a placeholder name (letters, digits, '_', '-', '.')",
                    tag_line, tag_col);
    }
    if (tag.kind == TemplateTag::section || tag.kind == TemplateTag::inverted) {
      stack.emplace_back(tag.kind, tag.name);
      stack_pos.emplace_back(tag_line, tag_col);
    } else if (tag.kind == TemplateTag::close) {
      if (stack.empty() || stack.back().second != tag.name)
        return fail("{{/" + tag.name + "}} closes " +
                        (stack.empty() ? std::string("no open section")
                                       : "section '" + stack.back().second + "'"),
                    tag_line, tag_col);
      stack.pop_back();
      stack_pos.pop_back();
      tag.enclosing = stack;
    }
    out.tags.push_back(std::move(tag));
    size_t end = close + (triple ? 3 : 2);
    advance(open, end);
    pos = end;
  }
  if (!stack.empty())
    return fail(
        "section '" + stack.back().second + "' is never closed ({{/" + stack.back().second + "}})",
        stack_pos.back().first, stack_pos.back().second);
  return out;
}

}  // namespace bs::config
