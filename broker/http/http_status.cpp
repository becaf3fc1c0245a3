#include "broker/http/http_status.h"

#include <nlohmann/json.hpp>

namespace jobq::broker::http {

int HttpStatusOf(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk:
      return 200;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return 400;
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kAlreadyExists:
      return 409;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kUnauthenticated:
      return 401;
    case absl::StatusCode::kResourceExhausted:
      return 429;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
      return 503;
    default:
      return 500;
  }
}

std::string_view ReasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 204:
      return "No Content";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 409:
      return "Conflict";
    case 413:
      return "Content Too Large";
    case 415:
      return "Unsupported Media Type";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Error";
  }
}

std::string ErrorJson(absl::string_view message) {
  nlohmann::ordered_json json = {{"error", std::string(message)}};
  return json.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string_view RefusalName(Refusal refusal) {
  switch (refusal) {
    case Refusal::kUnauthenticated:
      return "unauthenticated";
    case Refusal::kForbidden:
      return "forbidden";
    case Refusal::kCsrf:
      return "csrf";
    case Refusal::kBadRequest:
      return "bad_request";
    case Refusal::kNotFound:
      return "not_found";
    case Refusal::kTooLarge:
      return "too_large";
    case Refusal::kMethod:
      return "method";
    case Refusal::kTimeout:
      return "timeout";
    case Refusal::kBusy:
      return "busy";
  }
  return "unknown";
}

Refusal RefusalOfStatus(int status) {
  switch (status) {
    case 401:
      return Refusal::kUnauthenticated;
    case 403:
      return Refusal::kForbidden;
    case 404:
      return Refusal::kNotFound;
    case 405:
      return Refusal::kMethod;
    case 413:
    case 431:
      return Refusal::kTooLarge;
    case 503:
      return Refusal::kTimeout;
    default:
      return Refusal::kBadRequest;
  }
}

void RefusalCounters::Fill(::jobq::admin::HttpRefusals* refusals) const {
  refusals->set_unauthenticated(Get(Refusal::kUnauthenticated));
  refusals->set_forbidden(Get(Refusal::kForbidden));
  refusals->set_csrf(Get(Refusal::kCsrf));
  refusals->set_bad_request(Get(Refusal::kBadRequest));
  refusals->set_not_found(Get(Refusal::kNotFound));
  refusals->set_too_large(Get(Refusal::kTooLarge));
  refusals->set_method(Get(Refusal::kMethod));
  refusals->set_timeout(Get(Refusal::kTimeout));
  refusals->set_busy(Get(Refusal::kBusy));
}

}  // namespace jobq::broker::http
