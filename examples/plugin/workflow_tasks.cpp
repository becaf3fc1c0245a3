#include "examples/plugin/workflow_tasks.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string_view>
#include <vector>

namespace jobq_example {
namespace {

using jobq::worker::TaskContext;
using jobq::worker::TaskError;

constexpr size_t kStoreNameMax = 100;

std::array<uint32_t, 256> MakeCrcTable() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) {
      c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    }
    table[i] = c;
  }
  return table;
}

// The reflected CRC-32 of zlib, PNG and Ethernet, fed in pieces.
class Crc32 {
 public:
  void Add(std::string_view bytes) {
    static const std::array<uint32_t, 256> table = MakeCrcTable();
    for (const char byte : bytes) {
      crc_ = table[(crc_ ^ static_cast<uint8_t>(byte)) & 0xFF] ^ (crc_ >> 8);
    }
    bytes_ += bytes.size();
  }
  uint32_t value() const { return crc_ ^ 0xFFFFFFFFu; }
  uint64_t bytes() const { return bytes_; }

 private:
  uint32_t crc_ = 0xFFFFFFFFu;
  uint64_t bytes_ = 0;
};

const nlohmann::json& InputsOf(const nlohmann::json& args, const char* task) {
  static const nlohmann::json kEmpty = nlohmann::json::object();
  auto inputs = args.find("inputs");
  if (inputs == args.end()) {
    return kEmpty;
  }
  if (!inputs->is_object()) {
    throw TaskError(jobq::worker::kErrorBadArgs,
                    std::string(task) + ": \"inputs\" must be an object (the broker sets it)");
  }
  return *inputs;
}

bool IsDigits(const std::string& text) {
  return !text.empty() && text.find_first_not_of("0123456789") == std::string::npos &&
         (text.size() == 1 || text[0] != '0');
}

}  // namespace

std::string AddDecimal(const std::string& a, const std::string& b) {
  std::string sum;
  sum.reserve(std::max(a.size(), b.size()) + 1);
  int carry = 0;
  for (size_t i = 0; i < a.size() || i < b.size() || carry != 0; ++i) {
    const int da = i < a.size() ? a[a.size() - 1 - i] - '0' : 0;
    const int db = i < b.size() ? b[b.size() - 1 - i] - '0' : 0;
    const int digit = da + db + carry;
    sum.push_back(static_cast<char>('0' + digit % 10));
    carry = digit / 10;
  }
  while (sum.size() > 1 && sum.back() == '0') {
    sum.pop_back();
  }
  return std::string(sum.rbegin(), sum.rend());
}

std::string ChecksumTask(TaskContext& context) {
  const nlohmann::json& args =
      jobq::worker::RequireObject(context.Args(), "checksum", R"({"text": "hello"})");
  Crc32 crc;
  nlohmann::json of = nlohmann::json::array();
  if (std::optional<std::string> text = jobq::worker::OptionalString(args, "checksum", "text")) {
    crc.Add(*text);
  } else {
    for (const auto& [name, input] : InputsOf(args, "checksum").items()) {
      if (input.is_string()) {
        crc.Add(input.get_ref<const std::string&>());
      } else if (input.is_object() && input.contains("stdout") && input["stdout"].is_string()) {
        crc.Add(input["stdout"].get_ref<const std::string&>());
      } else {
        crc.Add(input.dump());
      }
      of.push_back(name);
    }
  }
  char hex[9];
  std::snprintf(hex, sizeof(hex), "%08x", crc.value());
  return nlohmann::json{{"crc32", hex}, {"bytes", crc.bytes()}, {"of", of}}.dump();
}

std::string StoreTask(TaskContext& context) {
  const nlohmann::json& args =
      jobq::worker::RequireObject(context.Args(), "store", R"({"name": "report"})");
  const std::string name = jobq::worker::RequireString(args, "store", "name");
  if (name.empty() || name.size() > kStoreNameMax || name == "." || name == ".." ||
      name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") !=
          std::string::npos) {
    throw TaskError(jobq::worker::kErrorBadArgs,
                    "store: \"name\" must be 1 to 100 letters, digits, '.', '_' or '-' (a file "
                    "name, not a path)");
  }
  const char* dir_env = std::getenv("JOBQ_EXAMPLE_STORE_DIR");
  const std::filesystem::path dir =
      dir_env != nullptr && *dir_env != '\0' ? dir_env : "/tmp/jobq-example-store";
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) {
    throw TaskError("store_failed",
                    "store: cannot create " + dir.string() + ": " + error.message());
  }
  const std::string text = InputsOf(args, "store").dump(2) + "\n";
  const std::filesystem::path path = dir / (name + ".json");
  // A reader never sees half a file, and a retried attempt rewrites it whole.
  const std::filesystem::path temporary =
      dir / ("." + name + ".json." + std::to_string(getpid()) + ".tmp");
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) {
      throw TaskError("store_failed",
                      "store: cannot write " + temporary.string() + ": " + std::strerror(errno));
    }
  }
  std::filesystem::rename(temporary, path, error);
  if (error) {
    std::filesystem::remove(temporary, error);
    throw TaskError("store_failed", "store: cannot rename to " + path.string());
  }
  return nlohmann::json{{"path", path.string()}, {"bytes", text.size()}}.dump();
}

std::string SumPartsTask(TaskContext& context) {
  const nlohmann::json& args = jobq::worker::RequireObject(context.Args(), "sum_parts", "{}");
  std::string sum = "0";
  int64_t parts = 0;
  for (const auto& [name, input] : InputsOf(args, "sum_parts").items()) {
    if (!input.is_object() || !input.contains("sum")) {
      throw TaskError(jobq::worker::kErrorBadArgs,
                      "sum_parts: input \"" + name + "\" has no \"sum\" (is it a sum_squares?)");
    }
    const nlohmann::json& part = input["sum"];
    std::string digits;
    if (part.is_string()) {
      digits = part.get<std::string>();
    } else if (part.is_number_unsigned()) {
      digits = std::to_string(part.get<uint64_t>());
    } else if (part.is_number_integer() && part.get<int64_t>() >= 0) {
      digits = std::to_string(part.get<int64_t>());
    }
    if (!IsDigits(digits)) {
      throw TaskError(jobq::worker::kErrorBadArgs,
                      "sum_parts: the \"sum\" of input \"" + name +
                          "\" must be a whole number >= 0, as decimal digits");
    }
    sum = AddDecimal(sum, digits);
    ++parts;
  }
  return nlohmann::json{{"parts", parts}, {"sum", sum}}.dump();
}

}  // namespace jobq_example
