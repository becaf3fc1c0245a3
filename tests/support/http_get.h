#pragma once
// GET over plain HTTP with libcurl, and reading one sample of a Prometheus
// text: for the tests that scrape the broker's /metrics.

#include <string>

namespace jobq::testing {

struct HttpAnswer {
  long code = 0;
  std::string content_type;
  std::string body;
  std::string error;  // set when no answer came
};

// One GET of `url` (a loopback address, whatever the proxy settings say),
// giving up after 10 s.
HttpAnswer HttpGet(const std::string& url);

// The value of the sample `series` (name and labels exactly as written) in
// a Prometheus text; -1 when it is not there.
double SampleValue(const std::string& text, const std::string& series);

// The value of `series` on the /metrics page at `host_port`; -1 when the page
// or the sample is not there.
double ScrapeSample(const std::string& host_port, const std::string& series);

}  // namespace jobq::testing
