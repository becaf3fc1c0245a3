#include "producer/cli/workflow_file.h"

#include <array>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/duration.h"
#include "common/json_depth.h"
#include "producer/cli/job_fields.h"
#include "producer/cli/job_ids.h"
#include "producer/cli/job_lines.h"

namespace jobq::cli {
namespace {

using Json = nlohmann::ordered_json;

// Names and values are quoted in errors; a file's could be megabytes.
constexpr size_t kShownMax = 60;

// The fields a node has beyond those of a job line.
constexpr std::array<const char*, 5> kNodeFields = {"name", "after", "after_jobs",
                                                    "on_parent_failure", "result_ttl"};

std::string Shown(std::string_view text) {
  if (text.size() <= kShownMax) {
    return std::string(text);
  }
  return absl::StrCat(std::string(text.substr(0, kShownMax)), "...");
}

std::string TypeOf(const Json& value) {
  return value.is_structured() ? absl::StrCat("a JSON ", value.type_name())
                               : Shown(value.dump(-1, ' ', false, Json::error_handler_t::replace));
}

std::string KnownNodeFields() {
  std::vector<std::string> fields = {"task",    "args",    "queue",   "kind",  "priority",
                                     "timeout", "retries", "backoff", "delay", "at"};
  fields.insert(fields.end(), kNodeFields.begin(), kNodeFields.end());
  return absl::StrJoin(fields, ", ");
}

// Collects the problems of a file, and how many there were.
class Problems {
 public:
  void Add(std::string problem) {
    ++count_;
    if (shown_.size() < kWorkflowFileErrorsMax) {
      shown_.push_back(std::move(problem));
    }
  }
  bool empty() const { return count_ == 0; }

  absl::Status ToStatus() const {
    std::string message = absl::StrJoin(shown_, "\n");
    if (count_ > shown_.size()) {
      absl::StrAppend(&message, "\n... and ", count_ - shown_.size(), " more problems");
    }
    return absl::InvalidArgumentError(message);
  }

 private:
  size_t count_ = 0;
  std::vector<std::string> shown_;
};

// "node \"fetch\" (nodes[0])", or "nodes[3]" for a node without a usable name.
std::string NodeLabel(const Json& node, size_t index) {
  if (node.is_object()) {
    auto name = node.find("name");
    if (name != node.end() && name->is_string() &&
        IsValidNodeName(name->get_ref<const std::string&>())) {
      return absl::StrCat("node \"", name->get_ref<const std::string&>(), "\" (nodes[", index,
                          "])");
    }
  }
  return absl::StrCat("nodes[", index, "]");
}

absl::Status ApplyNodeField(const std::string& field, const Json& value, TimeMs now_ms,
                            WorkflowNode* node) {
  if (field == "name") {
    if (!value.is_string()) {
      return absl::InvalidArgumentError(
          absl::StrCat("field \"name\" must be a string, got ", TypeOf(value)));
    }
    const std::string& name = value.get_ref<const std::string&>();
    if (!IsValidNodeName(name)) {
      return absl::InvalidArgumentError(
          absl::StrCat("field \"name\" must be 1 to 200 letters, digits, '.', '_' or '-', got \"",
                       Shown(name), "\""));
    }
    node->set_name(name);
  } else if (field == "after") {
    if (!value.is_array()) {
      return absl::InvalidArgumentError(
          absl::StrCat("field \"after\" must be an array of node names such as [\"fetch\"], got ",
                       TypeOf(value)));
    }
    for (const Json& parent : value) {
      if (!parent.is_string()) {
        return absl::InvalidArgumentError(
            absl::StrCat("field \"after\" must hold node names (strings), got ", TypeOf(parent)));
      }
      node->add_after(parent.get<std::string>());
    }
  } else if (field == "after_jobs") {
    if (!value.is_array()) {
      return absl::InvalidArgumentError(
          absl::StrCat("field \"after_jobs\" must be an array of job ids, got ", TypeOf(value)));
    }
    for (const Json& parent : value) {
      if (!parent.is_string()) {
        return absl::InvalidArgumentError(
            absl::StrCat("field \"after_jobs\" must hold job ids (strings), got ", TypeOf(parent)));
      }
      absl::StatusOr<JobId> id = ParseJobIdArg(Shown(parent.get_ref<const std::string&>()));
      if (!id.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("field \"after_jobs\": ", id.status().message()));
      }
      node->mutable_job()->add_after(std::string(id->Bytes()));
    }
  } else if (field == "on_parent_failure") {
    if (value == "cancel") {
      node->mutable_job()->set_on_parent_failure(wire::PARENT_FAILURE_CANCEL);
    } else if (value == "run") {
      node->mutable_job()->set_on_parent_failure(wire::PARENT_FAILURE_RUN);
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "field \"on_parent_failure\" must be \"cancel\" or \"run\", got ", TypeOf(value)));
    }
  } else if (field == "result_ttl") {
    if (!value.is_number() && !value.is_string()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "field \"result_ttl\" must be seconds or a duration like \"2h\", got ", TypeOf(value)));
    }
    absl::StatusOr<int64_t> ttl_ms = value.is_number()
                                         ? ParseDurationMs(absl::StrCat(value.get<double>()))
                                         : ParseDurationMs(value.get_ref<const std::string&>());
    if (!ttl_ms.ok() || *ttl_ms <= 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("field \"result_ttl\" ",
                       ttl_ms.ok() ? std::string("must be positive") : ttl_ms.status().message()));
    }
    node->mutable_job()->set_result_ttl_ms(*ttl_ms);
  } else if (field == "key") {
    return absl::InvalidArgumentError(
        "field \"key\" is not for workflow nodes: the broker takes no idempotency key on a "
        "node (a workflow is submitted once as a whole); remove it");
  } else if (IsJobField(field)) {
    return ApplyJobField(field, value, now_ms, node->mutable_job());
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown field \"", Shown(field), "\"; known fields: ", KnownNodeFields()));
  }
  return absl::OkStatus();
}

// One node: every problem of it goes to `problems`.
void ParseNode(const Json& value, size_t index, TimeMs now_ms, WorkflowNode* node,
               Problems* problems) {
  const std::string label = NodeLabel(value, index);
  if (!value.is_object()) {
    problems->Add(absl::StrCat(label, ": must be a JSON object such as {\"task\": \"noop\"}, got ",
                               TypeOf(value)));
    return;
  }
  if (!value.contains("task")) {
    problems->Add(absl::StrCat(label, ": missing required field \"task\""));
  }
  if (value.contains("delay") && value.contains("at")) {
    problems->Add(
        absl::StrCat(label, ": give either \"delay\" (from now) or \"at\" (a time), not both"));
  }
  node->mutable_job()->set_content_type(std::string(kJsonContentType));
  node->mutable_job()->set_payload("{}");
  for (const auto& [field, field_value] : value.items()) {
    if (absl::Status status = ApplyNodeField(field, field_value, now_ms, node); !status.ok()) {
      problems->Add(absl::StrCat(label, ": ", status.message()));
    }
  }
}

// Names unique, parents known, none waiting for itself or twice for one.
// Hashed: a chord's callback names every other node, 100,000 lookups.
void CheckEdges(const WorkflowSpec& spec, Problems* problems) {
  absl::flat_hash_map<std::string_view, size_t> index_of;
  index_of.reserve(spec.nodes.size());
  for (size_t i = 0; i < spec.nodes.size(); ++i) {
    const std::string& name = spec.nodes[i].name();
    if (name.empty()) {
      continue;
    }
    auto [it, inserted] = index_of.emplace(name, i);
    if (!inserted) {
      problems->Add(absl::StrCat("node \"", name, "\" (nodes[", i,
                                 "]): the name is taken by nodes[", it->second,
                                 "]; names must be unique"));
    }
  }
  for (size_t i = 0; i < spec.nodes.size(); ++i) {
    const WorkflowNode& node = spec.nodes[i];
    const std::string label = node.name().empty()
                                  ? absl::StrCat("nodes[", i, "]")
                                  : absl::StrCat("node \"", node.name(), "\" (nodes[", i, "])");
    absl::flat_hash_set<std::string_view> seen;
    seen.reserve(static_cast<size_t>(node.after_size()));
    for (const std::string& parent : node.after()) {
      if (!seen.insert(parent).second) {
        problems->Add(absl::StrCat(label, ": field \"after\" names \"", Shown(parent), "\" twice"));
      } else if (parent == node.name()) {
        problems->Add(absl::StrCat(label, ": field \"after\" names the node itself"));
      } else if (index_of.count(parent) == 0) {
        problems->Add(absl::StrCat(label, ": field \"after\" names \"", Shown(parent),
                                   "\", which is no node of the workflow (nodes without a "
                                   "\"name\" cannot be waited for)"));
      }
    }
  }
}

}  // namespace

absl::StatusOr<WorkflowSpec> ParseWorkflowFile(std::string_view text, TimeMs now_ms) {
  Json root;
  if (absl::Status status = ParseJsonBounded(text, &root); !status.ok()) {
    return absl::InvalidArgumentError(IsJsonTooDeep(status)
                                          ? absl::StrCat("JSON ", status.message())
                                          : absl::StrCat("invalid JSON: ", status.message()));
  }
  if (!root.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "expected a JSON object such as {\"nodes\": [{\"task\": \"noop\"}]}, got ", TypeOf(root)));
  }
  Problems problems;
  WorkflowSpec spec;
  for (const auto& [field, value] : root.items()) {
    if (field == "name") {
      if (value.is_string()) {
        spec.name = value.get<std::string>();
      } else {
        problems.Add(absl::StrCat("field \"name\" must be a string, got ", TypeOf(value)));
      }
    } else if (field != "nodes") {
      problems.Add(absl::StrCat("unknown top-level field \"", Shown(field),
                                "\"; known fields: name, nodes"));
    }
  }
  auto nodes = root.find("nodes");
  if (nodes == root.end()) {
    problems.Add(
        "missing required field \"nodes\" (an array of nodes such as {\"task\": \"noop\"})");
  } else if (!nodes->is_array()) {
    problems.Add(absl::StrCat("field \"nodes\" must be an array, got ", TypeOf(*nodes)));
  } else if (nodes->empty()) {
    problems.Add("field \"nodes\" is empty: a workflow needs at least one node");
  } else {
    spec.nodes.resize(nodes->size());
    for (size_t i = 0; i < nodes->size(); ++i) {
      ParseNode((*nodes)[i], i, now_ms, &spec.nodes[i], &problems);
    }
    CheckEdges(spec, &problems);
  }
  if (!problems.empty()) {
    return problems.ToStatus();
  }
  return spec;
}

}  // namespace jobq::cli
