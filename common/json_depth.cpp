#include "common/json_depth.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"

namespace jobq {
namespace {

absl::Status TooDeepError(int depth_max) {
  return absl::ResourceExhaustedError(absl::StrCat("nested deeper than ", depth_max, " levels"));
}

// Validates without building anything; stops at the first level too deep.
class DepthCheck : public nlohmann::json_sax<nlohmann::json> {
 public:
  explicit DepthCheck(int depth_max) : depth_max_(depth_max) {}

  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override { return Enter(); }
  bool key(string_t&) override { return true; }
  bool end_object() override { return Leave(); }
  bool start_array(std::size_t) override { return Enter(); }
  bool end_array() override { return Leave(); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::json::exception& e) override {
    error_ = absl::InvalidArgumentError(e.what());
    return false;
  }

  const absl::Status& error() const { return error_; }

 private:
  bool Enter() {
    if (++depth_ > depth_max_) {
      error_ = TooDeepError(depth_max_);
      return false;
    }
    return true;
  }
  bool Leave() {
    --depth_;
    return true;
  }

  const int depth_max_;
  int depth_ = 0;
  absl::Status error_;
};

// The deepest nesting of brackets outside strings. For valid JSON (and for
// the valid prefix the parser builds before it meets an error) it is the
// nesting the parser builds, at a fraction of a lexer's cost: a byte loop
// with no allocation.
int BracketDepth(std::string_view text) {
  int depth = 0;
  int deepest = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;  // the escaped character, a quote included
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return deepest;
}

template <typename Json>
absl::Status Parse(std::string_view text, Json* out, int depth_max) {
  // A scan first, then the parse: nlohmann's parser callback, which could
  // stop at the bound in one pass, makes the parse ten times slower. The
  // bracket count clears nearly every document; only one that seems too
  // deep takes the lexer's scan, which tells too deep from invalid JSON.
  if (BracketDepth(text) > depth_max) {
    if (absl::Status checked = CheckJsonBounded(text, depth_max); !checked.ok()) {
      return checked;
    }
  }
  try {
    *out = Json::parse(text.begin(), text.end());
  } catch (const typename Json::exception& e) {
    return absl::InvalidArgumentError(e.what());  // the scan has the same lexer: not expected
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ParseJsonBounded(std::string_view text, nlohmann::json* out, int depth_max) {
  return Parse(text, out, depth_max);
}

absl::Status ParseJsonBounded(std::string_view text, nlohmann::ordered_json* out, int depth_max) {
  return Parse(text, out, depth_max);
}

absl::Status CheckJsonBounded(std::string_view text, int depth_max) {
  DepthCheck check(depth_max);
  if (!nlohmann::json::sax_parse(text.begin(), text.end(), &check) && check.error().ok()) {
    // Not expected: every way sax_parse fails goes through the callbacks.
    return absl::InvalidArgumentError("not valid JSON");
  }
  return check.error();
}

bool IsJsonTooDeep(const absl::Status& status) {
  return status.code() == absl::StatusCode::kResourceExhausted;
}

}  // namespace jobq
