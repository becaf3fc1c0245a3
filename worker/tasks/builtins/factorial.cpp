#include "worker/tasks/builtins/factorial.h"

#include <gmp.h>

#include <cstring>

#include "worker/tasks/builtins/task_args.h"
#include "worker/tasks/task_error.h"

namespace jobq::worker {
namespace {

// Owns one mpz_t, so that a throw between init and clear frees it.
class BigInt {
 public:
  BigInt() { mpz_init(value_); }
  ~BigInt() { mpz_clear(value_); }
  BigInt(const BigInt&) = delete;
  BigInt& operator=(const BigInt&) = delete;
  mpz_ptr get() { return value_; }

 private:
  mpz_t value_;
};

void ThrowIfCancelled(const TaskContext& context, int64_t n) {
  if (context.IsCancelled()) {
    throw TaskError(kErrorCancelled,
                    "factorial: cancelled while computing " + std::to_string(n) + "!");
  }
}

}  // namespace

std::string FactorialTask(TaskContext& context) {
  const nlohmann::json& args = RequireObject(context.Args(), "factorial", R"({"n": 1000})");
  const int64_t n = RequireInt(args, "factorial", "n", 0, kMaxFactorialN);
  ThrowIfCancelled(context, n);
  BigInt product;
  mpz_fac_ui(product.get(), static_cast<unsigned long>(n));
  ThrowIfCancelled(context, n);
  // mpz_sizeinbase may overstate the digit count by one; +2 leaves room for
  // that and the terminating NUL, and the real length is measured after.
  std::string value(mpz_sizeinbase(product.get(), 10) + 2, '\0');
  mpz_get_str(value.data(), 10, product.get());
  value.resize(std::strlen(value.c_str()));
  const size_t digits = value.size();
  return nlohmann::json{{"n", n}, {"digits", digits}, {"value", std::move(value)}}.dump();
}

}  // namespace jobq::worker
