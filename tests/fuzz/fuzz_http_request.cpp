// The dashboard's request inputs (broker/http, issue 19): the first byte
// picks a parser, the rest is its input as a client would send it. Every
// input is answered (a value or INVALID_ARGUMENT with a message) and what
// is accepted holds what the handlers rely on: limits within 1..500, ids
// of 16 bytes, a route's parameter not empty.
//
//   0 GET /api/jobs?QUERY          3 POST /api/login BODY
//   1 GET /api/workflows?QUERY     4 METHOD\nPATH (routing)
//   2 POST /api/jobs/retry BODY    5 Cookie header\nOrigin\nHost

#include <cstdint>
#include <string>
#include <string_view>

#include "broker/http/access.h"
#include "broker/http/request_params.h"
#include "broker/http/router.h"
#include "common/check.h"

namespace {

using jobq::broker::http::kPageLimitMax;

void CheckRejected(const absl::Status& status) {
  JOBQ_CHECK(status.code() == absl::StatusCode::kInvalidArgument) << status;
  JOBQ_CHECK(!status.message().empty());
}

// A listing's query: refused with a message, or a page within bounds.
template <typename Request>
void CheckPage(const absl::StatusOr<Request>& request) {
  if (!request.ok()) {
    CheckRejected(request.status());
    return;
  }
  JOBQ_CHECK(request->limit() >= 1 && request->limit() <= kPageLimitMax);
  JOBQ_CHECK(request->page_after().empty() || request->page_after().size() == 16);
}

std::string_view Line(std::string_view* text) {
  const size_t end = text->find('\n');
  const std::string_view line = text->substr(0, end);
  text->remove_prefix(end == std::string_view::npos ? text->size() : end + 1);
  return line;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) {
    return 0;
  }
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  namespace http = jobq::broker::http;
  switch (data[0] % 6) {
    case 0: {
      CheckPage(http::ParseJobsQuery(input));
      break;
    }
    case 1: {
      CheckPage(http::ParseWorkflowsQuery(input));
      break;
    }
    case 2: {
      auto ids = http::ParseIdsBody(input);
      if (!ids.ok()) {
        CheckRejected(ids.status());
        break;
      }
      JOBQ_CHECK(!ids->empty() && ids->size() <= http::kActionIdsMax);
      for (const std::string& id : *ids) {
        JOBQ_CHECK(id.size() == 16);
      }
      break;
    }
    case 3: {
      auto token = http::ParseLoginBody(input);
      if (!token.ok()) {
        CheckRejected(token.status());
        break;
      }
      JOBQ_CHECK(!token->empty());
      break;
    }
    case 4: {
      const std::string_view method = Line(&input);
      const http::RouteMatch route = http::MatchRoute(method, input);
      if (route.outcome == http::RouteMatch::Outcome::kFound) {
        JOBQ_CHECK(method == route.allowed || method == "HEAD");
        const bool takes_param =
            route.id == http::RouteId::kJob || route.id == http::RouteId::kWorkflow ||
            route.id == http::RouteId::kAsset || route.id == http::RouteId::kPauseQueue ||
            route.id == http::RouteId::kResumeQueue || route.id == http::RouteId::kPurgeQueue ||
            route.id == http::RouteId::kDrainWorker;
        JOBQ_CHECK(takes_param != route.param.empty());
      }
      auto decoded = http::PercentDecode(input, "path");
      if (decoded.ok()) {
        JOBQ_CHECK(decoded->size() <= input.size());
      } else {
        CheckRejected(decoded.status());
      }
      break;
    }
    case 5: {
      const std::string cookie(Line(&input));
      const std::string origin(Line(&input));
      const std::string host(input);
      const std::string value = http::CookieValue(cookie, http::kSessionCookie);
      JOBQ_CHECK(value.size() <= cookie.size());
      if (http::OriginMatchesHost(origin, host)) {
        JOBQ_CHECK(!host.empty() && origin.size() > host.size());
      }
      break;
    }
  }
  return 0;
}
