#include "producer/cli/workflow_submit.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/job_state.h"
#include "producer/cli/exit_code.h"
#include "producer/cli/output_lines.h"
#include "producer/cli/workflow_file.h"

namespace jobq::cli {
namespace {

using Json = nlohmann::ordered_json;

// A workflow file is read whole; this bounds it well above what the
// broker's --message-max lets through.
constexpr std::streamsize kFileBytesMax = std::streamsize{1} << 30;
// Results and errors are cut to this in the table (--json has them whole).
constexpr size_t kCellCharsMax = 80;

absl::StatusOr<std::string> ReadWorkflowFile(const std::string& path) {
  std::ifstream file;
  std::istream* in = &std::cin;
  if (path != "-") {
    std::error_code error;
    if (std::filesystem::is_directory(path, error)) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, " is a directory; give a workflow file (JSON), or - for stdin"));
    }
    file.open(path, std::ios::binary);
    if (!file.is_open()) {
      return absl::NotFoundError(absl::StrCat("cannot open ", path, ": ", std::strerror(errno)));
    }
    in = &file;
  }
  std::string text;
  char buffer[1 << 16];
  while (in->read(buffer, sizeof(buffer)) || in->gcount() > 0) {
    text.append(buffer, static_cast<size_t>(in->gcount()));
    if (static_cast<std::streamsize>(text.size()) > kFileBytesMax) {
      return absl::InvalidArgumentError(absl::StrCat(
          path == "-" ? "stdin" : path, " is larger than 1 GiB: not a workflow file?"));
    }
  }
  if (in->bad()) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot read ", path == "-" ? "stdin" : path, " (is it a directory?)"));
  }
  return text;
}

std::string Cut(std::string text) {
  if (text.size() > kCellCharsMax) {
    text.resize(kCellCharsMax - 3);
    text += "...";
  }
  return text;
}

std::string Padded(const std::string& text, size_t width) {
  return text.size() >= width ? text : text + std::string(width - text.size(), ' ');
}

size_t NameWidth(const std::vector<std::string>& names) {
  size_t width = 4;  // "NODE"
  for (const std::string& name : names) {
    width = std::max(width, std::min<size_t>(name.size(), 40));
  }
  return width;
}

void PrintAck(const WorkflowAck& ack, const std::string& name,
              const std::vector<std::string>& names, bool json) {
  if (json) {
    Json out = Json::object();
    out["id"] = ack.id->ToString();
    out["name"] = name;
    if (ack.duplicate) {
      out["duplicate"] = true;
    }
    Json nodes = Json::array();
    for (size_t i = 0; i < names.size(); ++i) {
      nodes.push_back(Json{{"name", names[i]}, {"id", ack.node_ids[i].ToString()}});
    }
    out["nodes"] = std::move(nodes);
    std::puts(DumpJsonLine(out).c_str());
    return;
  }
  std::printf("workflow %s%s%s, %zu nodes%s\n", ack.id->ToString().c_str(), name.empty() ? "" : " ",
              name.empty() ? "" : absl::StrCat("(", name, ")").c_str(), names.size(),
              ack.duplicate ? " (already submitted: nothing new was created)" : "");
  const size_t width = NameWidth(names);
  std::printf("%s  ID\n", Padded("NODE", width).c_str());
  for (size_t i = 0; i < names.size(); ++i) {
    std::printf("%s  %s\n", Padded(names[i], width).c_str(), ack.node_ids[i].ToString().c_str());
  }
}

Json NodeErrorJson(const wire::ErrorInfo& error) {
  Json json = Json::object();
  json["type"] = error.type();
  json["message"] = error.message();
  if (!error.detail().empty()) {
    json["detail"] = error.detail();
  }
  return json;
}

void PrintOutcome(const WorkflowOutcome& outcome, const std::string& name, bool json) {
  if (json) {
    Json out = Json::object();
    out["id"] = outcome.id.ToString();
    out["name"] = name;
    out["state"] = outcome.succeeded() ? "succeeded" : "failed";
    Json nodes = Json::array();
    for (const NodeOutcome& node : outcome.nodes) {
      Json entry = Json::object();
      entry["name"] = node.name;
      entry["id"] = node.outcome.id.ToString();
      entry["state"] = std::string(JobStateName(node.outcome.state));
      entry["attempts"] = node.outcome.attempts;
      if (node.outcome.succeeded()) {
        entry["result"] = ResultToJson(node.outcome);
      } else {
        entry["error"] = NodeErrorJson(node.outcome.error);
      }
      nodes.push_back(std::move(entry));
    }
    out["nodes"] = std::move(nodes);
    std::puts(DumpJsonLine(out).c_str());
    return;
  }
  std::vector<std::string> names;
  for (const NodeOutcome& node : outcome.nodes) {
    names.push_back(node.name);
  }
  const size_t width = NameWidth(names);
  std::printf("%s  %-10s  %-8s  %s\n", Padded("NODE", width).c_str(), "STATE", "ATTEMPTS",
              "RESULT / ERROR");
  for (const NodeOutcome& node : outcome.nodes) {
    const std::string what =
        node.outcome.succeeded()
            ? DumpJsonLine(ResultToJson(node.outcome))
            : absl::StrCat(node.outcome.error.type(), ": ", node.outcome.error.message());
    std::printf("%s  %-10s  %-8u  %s\n", Padded(node.name, width).c_str(),
                std::string(JobStateName(node.outcome.state)).c_str(), node.outcome.attempts,
                Cut(what).c_str());
  }
  const std::vector<const NodeOutcome*> failed = outcome.unsuccessful();
  std::printf("workflow %s %s", outcome.id.ToString().c_str(),
              failed.empty() ? "succeeded\n" : "failed: ");
  if (!failed.empty()) {
    std::printf("%zu of %zu nodes did not succeed\n", failed.size(), outcome.nodes.size());
  }
}

}  // namespace

void AddWorkflowSubmitAction(CLI::App& workflow, GlobalFlags& globals) {
  // Owned by the callback, so by the App: the options write into it.
  auto flags = std::make_shared<WorkflowSubmitFlags>();
  CLI::App* submit = workflow.add_subcommand(
      "submit", "Submit a workflow file (a DAG of jobs, JSON), created whole or not at all");
  submit->footer(
      "FILE: {\"name\": \"...\", \"nodes\": [{\"name\": \"fetch\", \"task\": \"http_get\", "
      "\"args\": {...},\n"
      "  \"after\": [\"...\"], \"on_parent_failure\": \"cancel\"|\"run\", ...}]}; a node also "
      "takes\n"
      "  after_jobs, result_ttl and the fields of a `jobq submit --file` line (queue, kind,\n"
      "  priority, timeout, retries, backoff, delay, at). A node's task receives its parents'\n"
      "  results in its arguments' \"inputs\".\n"
      "Exit status: 0 accepted (--wait: every node succeeded), 1 refused or some node did not\n"
      "succeed, 2 a bad file (nothing submitted), usage or connection error.\n"
      "Examples:\n"
      "  jobq workflow submit examples/workflows/chain.json --wait\n"
      "  make_flow | jobq workflow submit - --json");
  submit->add_option("file", flags->file, "The workflow file, - for stdin")->required();
  submit->add_flag("--wait", flags->wait,
                   "Wait until every node has finished and print each node's outcome");
  submit->add_flag("--json", flags->json, "Print one JSON object instead of a table");
  submit->add_option("--name", flags->name, "The workflow's name, instead of the file's \"name\"");
  submit->add_option(
      "--broker", flags->broker,
      "Broker frontend, or each frontend of brokers sharing a store, comma-separated (env "
      "JOBQ_BROKER, default tcp://127.0.0.1:5555)");
  submit->callback(
      [flags, &globals] { globals.action_exit_code = RunWorkflowSubmit(*flags, globals); });
}

int RunWorkflowSubmit(const WorkflowSubmitFlags& flags, const GlobalFlags& global) {
  absl::StatusOr<ClientOptions> client_options = MakeClientOptions(global, flags.broker);
  if (!client_options.ok()) {
    PrintError(client_options.status().message());
    return kExitUsage;
  }
  absl::StatusOr<std::string> text = ReadWorkflowFile(flags.file);
  if (!text.ok()) {
    PrintError(text.status().message());
    return kExitUsage;
  }
  const std::string source = flags.file == "-" ? "stdin" : flags.file;
  absl::StatusOr<WorkflowSpec> spec = ParseWorkflowFile(*text, WallNowMs());
  if (!spec.ok()) {
    std::string message;
    std::istringstream lines{std::string(spec.status().message())};
    for (std::string line; std::getline(lines, line);) {
      absl::StrAppend(&message, source, ": ", line, "\n");
    }
    absl::StrAppend(&message, "nothing was submitted: fix ", source, " and submit it again");
    PrintError(message);
    return kExitUsage;
  }
  if (!flags.name.empty()) {
    spec->name = flags.name;
  }
  const std::string name = spec->name;
  absl::StatusOr<std::unique_ptr<Client>> client = Client::Create(*client_options);
  if (!client.ok()) {
    PrintError(DescribeClientFailure(client.status()));
    return kExitUsage;
  }
  WorkflowOptions options;
  options.notify = flags.wait;
  WorkflowHandle handle = (*client)->SubmitWorkflow(*std::move(spec), options);
  absl::StatusOr<WorkflowAck> ack = handle.future().Ack();
  if (!ack.ok()) {
    // kInvalidArgument: what the client checks beyond the file (UTF-8).
    PrintError(ack.status().code() == absl::StatusCode::kInvalidArgument
                   ? absl::StrCat(source, ": ", ack.status().message(), "; nothing was submitted")
                   : DescribeClientFailure(ack.status()));
    return kExitUsage;
  }
  if (!ack->accepted()) {
    PrintError(absl::StrCat("the broker refused the workflow (nothing was created): ",
                            ack->error.type(), ": ", ack->error.message()));
    return kExitJobsFailed;
  }
  if (!flags.wait) {
    PrintAck(*ack, name, handle.node_names(), flags.json);
    return kExitOk;
  }
  if (!flags.json) {
    PrintAck(*ack, name, handle.node_names(), false);
    std::fflush(stdout);
  }
  absl::StatusOr<WorkflowOutcome> outcome = handle.future().Result();
  if (!outcome.ok()) {
    PrintError(DescribeClientFailure(outcome.status()));
    return kExitUsage;
  }
  PrintOutcome(*outcome, name, flags.json);
  return outcome->succeeded() ? kExitOk : kExitJobsFailed;
}

}  // namespace jobq::cli
