#include "tests/support/http_get.h"

#include <curl/curl.h>

#include <sstream>

namespace jobq::testing {
namespace {

size_t AppendBody(char* data, size_t size, size_t count, void* body) {
  static_cast<std::string*>(body)->append(data, size * count);
  return size * count;
}

}  // namespace

HttpAnswer HttpGet(const std::string& url) {
  HttpAnswer answer;
  CURL* curl = curl_easy_init();
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, AppendBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &answer.body);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 10L);
  curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");  // loopback, whatever the environment says
  const CURLcode code = curl_easy_perform(curl);
  if (code != CURLE_OK) {
    answer.error = curl_easy_strerror(code);
    answer.body.clear();
  } else {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &answer.code);
    char* type = nullptr;
    curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &type);
    if (type != nullptr) {
      answer.content_type = type;
    }
  }
  curl_easy_cleanup(curl);
  return answer;
}

double SampleValue(const std::string& text, const std::string& series) {
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 &&
        line[series.size()] == ' ') {
      return std::stod(line.substr(series.size() + 1));
    }
  }
  return -1;
}

double ScrapeSample(const std::string& host_port, const std::string& series) {
  return SampleValue(HttpGet("http://" + host_port + "/metrics").body, series);
}

}  // namespace jobq::testing
