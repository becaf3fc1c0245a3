#include "producer/cli/job_progress_view.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/job_state.h"

namespace jobq::cli {
namespace {

using Json = nlohmann::ordered_json;

constexpr int kBarWidth = 24;
constexpr size_t kMessageShown = 60;
constexpr char kEraseLine[] = "\r\033[K";

// Printable on one line: control characters become spaces.
std::string Printable(const std::string& text, size_t max_bytes) {
  std::string out = text.substr(0, max_bytes);
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      c = ' ';
    }
  }
  return out;
}

}  // namespace

std::string FormatProgressBarLine(const admin::JobInfo& job) {
  // The last 8 digits: the first ones are the time, the same for jobs
  // submitted together.
  const std::string text = JobIdText(job.id());
  const std::string id = text.substr(text.size() - std::min<size_t>(8, text.size()));
  const admin::JobProgress& progress = job.progress();
  const bool finished = job.state() == wire::JOB_STATE_SUCCEEDED;
  double fraction = 0;
  if (finished) {
    fraction = 1;
  } else if (progress.total() > 0) {
    fraction = std::min(1.0, static_cast<double>(progress.done()) / progress.total());
  }
  const int filled = static_cast<int>(fraction * kBarWidth);
  std::string counts = progress.total() > 0
                           ? absl::StrFormat("%d/%d %3d%%", progress.done(), progress.total(),
                                             static_cast<int>(fraction * 100))
                           : absl::StrCat(progress.done(), " done");
  std::string line =
      absl::StrCat(id, " [", std::string(filled, '#'), std::string(kBarWidth - filled, '-'), "] ",
                   counts, " ", std::string(JobStateName(job.state())));
  if (!progress.message().empty()) {
    absl::StrAppend(&line, "  ", Printable(progress.message(), kMessageShown));
  }
  return line;
}

std::string FormatProgressJsonLine(const admin::JobInfo& job) {
  Json json = Json::object();
  json["id"] = JobIdText(job.id());
  json["state"] = std::string(JobStateName(job.state()));
  if (job.has_progress()) {
    json["attempt"] = job.progress().attempt();
    json["done"] = job.progress().done();
    json["total"] = job.progress().total();
    json["message"] = job.progress().message();
    json["reported_ms"] = job.progress().reported_ms();
  }
  return json.dump(-1, ' ', false, Json::error_handler_t::replace);
}

JobProgressBars::JobProgressBars(std::FILE* out, const std::vector<JobId>& ids)
    : out_(out), ids_(ids) {
  for (const JobId& id : ids_) {
    admin::JobInfo waiting;
    waiting.set_id(std::string(id.Bytes()));
    lines_[id] = FormatProgressBarLine(waiting);
  }
}

void JobProgressBars::Update(const admin::JobInfo& job) {
  std::optional<JobId> id = JobId::FromBytes(job.id());
  if (!id || lines_.count(*id) == 0) {
    return;
  }
  lines_[*id] = FormatProgressBarLine(job);
  Clear();
  Redraw();
}

void JobProgressBars::Clear() {
  if (drawn_ > 0) {
    // Up to the block's first line, then erase to the end of the screen.
    std::fprintf(out_, "\033[%zuA\r\033[J", drawn_);
    drawn_ = 0;
    std::fflush(out_);
  }
}

void JobProgressBars::Redraw() {
  for (const JobId& id : ids_) {
    std::fputs(kEraseLine, out_);
    std::fputs(lines_[id].c_str(), out_);
    std::fputc('\n', out_);
  }
  drawn_ = ids_.size();
  std::fflush(out_);
}

JobWatchers::JobWatchers(const AdminConnection& admin, const std::vector<JobId>& ids,
                         OnUpdate on_update, OnFailure on_failure)
    : admin_(admin), on_update_(std::move(on_update)), on_failure_(std::move(on_failure)) {
  for (const JobId& id : ids) {
    contexts_.push_back(std::make_unique<grpc::ClientContext>());
    grpc::ClientContext* context = contexts_.back().get();
    threads_.emplace_back([this, id, context] { Watch(id, context); });
  }
}

JobWatchers::~JobWatchers() {
  for (auto& context : contexts_) {
    context->TryCancel();
  }
  for (std::thread& thread : threads_) {
    thread.join();
  }
}

void JobWatchers::Watch(const JobId& id, grpc::ClientContext* context) {
  admin::WatchJobRequest request;
  request.set_id(std::string(id.Bytes()));
  std::unique_ptr<grpc::ClientReader<admin::JobInfo>> reader =
      admin_.stub->WatchJob(context, request);
  admin::JobInfo job;
  while (reader->Read(&job)) {
    std::lock_guard lock(mutex_);
    on_update_(job);
  }
  grpc::Status status = reader->Finish();
  std::lock_guard lock(mutex_);
  if (!status.ok() && status.error_code() != grpc::StatusCode::CANCELLED) {
    on_failure_(id, status);
  }
  ended_.insert(id);
  ended_changed_.notify_all();
}

void JobWatchers::AwaitEnd(const JobId& id, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  ended_changed_.wait_for(lock, timeout, [&] { return ended_.count(id) > 0; });
}

}  // namespace jobq::cli
