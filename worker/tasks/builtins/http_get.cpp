#include "worker/tasks/builtins/http_get.h"

#include <curl/curl.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>

#include "common/check.h"
#include "common/clock.h"
#include "worker/tasks/builtins/task_args.h"
#include "worker/tasks/task_error.h"

namespace jobq::worker {
namespace {

constexpr char kHttpGetTask[] = "http_get";
constexpr long kMaxRedirects = 10;
constexpr char kAllowedProtocols[] = "http,https";

struct CurlDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
  void operator()(CURLU* url) const { curl_url_cleanup(url); }
  void operator()(char* text) const { curl_free(text); }
};

// What the callbacks see of the transfer.
struct Transfer {
  const TaskContext* context;
  uint64_t bytes = 0;
};

size_t CountBody(char*, size_t size, size_t count, void* user) {
  static_cast<Transfer*>(user)->bytes += size * count;
  return size * count;
}

// libcurl calls this about once a second even while nothing arrives, and
// aborts the transfer (CURLE_ABORTED_BY_CALLBACK) when it returns non-zero.
int AbortIfCancelled(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<Transfer*>(user)->context->IsCancelled() ? 1 : 0;
}

// Refuses file://, ftp:// and friends before libcurl sees the URL: a job
// must not read the worker's files or reach protocols nobody asked for.
void RequireHttpUrl(const std::string& url) {
  auto bad_url = [&url] {
    return TaskError(kErrorBadArgs, std::string(kHttpGetTask) +
                                        ": argument \"url\" must be an http:// or https:// URL, "
                                        "got " +
                                        nlohmann::json(url).dump());
  };
  std::unique_ptr<CURLU, CurlDeleter> parsed(curl_url());
  if (parsed == nullptr) {
    throw std::bad_alloc();
  }
  if (curl_url_set(parsed.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) {
    throw bad_url();
  }
  char* scheme_text = nullptr;
  if (curl_url_get(parsed.get(), CURLUPART_SCHEME, &scheme_text, 0) != CURLUE_OK) {
    throw bad_url();
  }
  std::unique_ptr<char, CurlDeleter> scheme(scheme_text);
  // libcurl returns the scheme in lower case.
  if (std::string_view(scheme.get()) != "http" && std::string_view(scheme.get()) != "https") {
    throw bad_url();
  }
}

template <typename T>
void SetOption(CURL* curl, CURLoption option, T value) {
  const CURLcode code = curl_easy_setopt(curl, option, value);
  if (code != CURLE_OK) {
    throw TaskError(kErrorHttp, std::string(kHttpGetTask) +
                                    ": cannot set up the transfer: " + curl_easy_strerror(code));
  }
}

// The time the transfer may take: the tighter of the `timeout` argument and
// what is left before the job's deadline.
struct Budget {
  std::optional<int64_t> ms;
  std::string what;  // for the timeout message
};

Budget ComputeBudget(const TaskContext& context, std::optional<double> timeout_seconds) {
  Budget budget;
  if (timeout_seconds.has_value()) {
    budget.ms = static_cast<int64_t>(std::ceil(*timeout_seconds * 1000));
    budget.what = "its timeout of " + nlohmann::json(*timeout_seconds).dump() + " s";
  }
  if (context.deadline_ms() > 0) {
    const int64_t left_ms = context.deadline_ms() - RealClock().NowMs();
    if (left_ms <= 0) {
      throw TaskError(kErrorTimeout, std::string(kHttpGetTask) +
                                         ": the job's deadline had passed "
                                         "before the fetch started");
    }
    if (!budget.ms.has_value() || left_ms < *budget.ms) {
      budget.ms = left_ms;
      budget.what = "the job's deadline";
    }
  }
  return budget;
}

}  // namespace

void InitHttpGet() {
  static std::once_flag once;
  std::call_once(once, [] {
    const CURLcode code = curl_global_init(CURL_GLOBAL_DEFAULT);
    JOBQ_CHECK(code == CURLE_OK) << "libcurl cannot start: " << curl_easy_strerror(code);
  });
}

std::string HttpGetTask(TaskContext& context) {
  InitHttpGet();
  const nlohmann::json& args =
      RequireObject(context.Args(), kHttpGetTask, R"({"url": "https://example.com/"})");
  const std::string url = RequireString(args, kHttpGetTask, "url");
  const std::optional<double> timeout_seconds =
      OptionalPositiveNumber(args, kHttpGetTask, "timeout", kMaxHttpTimeoutSeconds);
  RequireHttpUrl(url);
  const Budget budget = ComputeBudget(context, timeout_seconds);

  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (curl == nullptr) {
    throw TaskError(kErrorHttp, std::string(kHttpGetTask) + ": libcurl could not create a handle");
  }
  Transfer transfer{&context};
  char error_text[CURL_ERROR_SIZE] = "";
  CURL* handle = curl.get();
  SetOption(handle, CURLOPT_URL, url.c_str());
  SetOption(handle, CURLOPT_PROTOCOLS_STR, kAllowedProtocols);
  SetOption(handle, CURLOPT_REDIR_PROTOCOLS_STR, kAllowedProtocols);
  SetOption(handle, CURLOPT_FOLLOWLOCATION, 1L);
  SetOption(handle, CURLOPT_MAXREDIRS, kMaxRedirects);
  // Signals (SIGALRM for DNS timeouts, SIGPIPE) are process-wide; a thread
  // in a pool must not use them.
  SetOption(handle, CURLOPT_NOSIGNAL, 1L);
  SetOption(handle, CURLOPT_USERAGENT, "jobq-worker");
  SetOption(handle, CURLOPT_ERRORBUFFER, error_text);
  SetOption(handle, CURLOPT_WRITEFUNCTION, &CountBody);
  SetOption(handle, CURLOPT_WRITEDATA, static_cast<void*>(&transfer));
  SetOption(handle, CURLOPT_NOPROGRESS, 0L);
  SetOption(handle, CURLOPT_XFERINFOFUNCTION, &AbortIfCancelled);
  SetOption(handle, CURLOPT_XFERINFODATA, static_cast<void*>(&transfer));
  if (budget.ms.has_value()) {
    SetOption(handle, CURLOPT_TIMEOUT_MS, static_cast<long>(*budget.ms));
  }

  const auto start = std::chrono::steady_clock::now();
  const CURLcode code = curl_easy_perform(handle);
  const int64_t elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::steady_clock::now() - start)
                                 .count();
  const std::string what = std::string(kHttpGetTask) + ": GET " + url;
  if (code == CURLE_ABORTED_BY_CALLBACK && context.IsCancelled()) {
    throw TaskError(kErrorCancelled,
                    what + " cancelled after " + std::to_string(elapsed_ms) + " ms");
  }
  if (code == CURLE_OPERATION_TIMEDOUT && budget.ms.has_value()) {
    throw TaskError(kErrorTimeout,
                    what + " did not finish within " + budget.what + " (" +
                        (error_text[0] != '\0' ? error_text : curl_easy_strerror(code)) + ")");
  }
  if (code != CURLE_OK) {
    throw TaskError(
        kErrorHttp,
        what + " failed: " + (error_text[0] != '\0' ? error_text : curl_easy_strerror(code)));
  }
  long status = 0;
  curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &status);
  return nlohmann::json{
      {"status", status}, {"bytes", transfer.bytes}, {"elapsed_ms", elapsed_ms}, {"url", url}}
      .dump();
}

}  // namespace jobq::worker
