#include "worker/tasks/plugin_loader.h"

#include <dlfcn.h>
#include <sys/stat.h>

#include <exception>

#include "common/status_macros.h"
#include "worker/tasks/plugin_api.h"

namespace jobq::worker {
namespace {

std::string Prefix(const std::string& path) { return "plugin " + path + ": "; }

std::string DlErrorText() {
  const char* text = dlerror();
  return text != nullptr ? text : "unknown dlopen error";
}

// Closes the library unless Release()d: a plugin that failed to load must
// not stay mapped. Its staged tasks are destroyed before this runs, as
// their functions' code lives in the library.
class LibraryHandle {
 public:
  explicit LibraryHandle(void* handle) : handle_(handle) {}
  ~LibraryHandle() {
    if (handle_ != nullptr) {
      dlclose(handle_);
    }
  }
  LibraryHandle(const LibraryHandle&) = delete;
  LibraryHandle& operator=(const LibraryHandle&) = delete;
  void* get() const { return handle_; }
  void Release() { handle_ = nullptr; }

 private:
  void* handle_;
};

// The name to give dlopen(). dlopen() reads a name without a '/' as a
// library to search for, never as a file here; people who type
// `--plugin libmytasks.so` next to the file mean the file.
std::string DlopenName(const std::string& path, absl::Status* status) {
  struct stat info;
  if (stat(path.c_str(), &info) == 0) {
    if (!S_ISREG(info.st_mode)) {
      *status = absl::InvalidArgumentError(Prefix(path) + "not a regular file");
    }
    return path.find('/') == std::string::npos ? "./" + path : path;
  }
  if (path.find('/') != std::string::npos) {
    *status = absl::NotFoundError(Prefix(path) + "no such file");
  }
  return path;
}

absl::Status Register(const std::string& path, JobqRegisterTasksV1 register_tasks,
                      TaskRegistry* registry) {
  // The plugin registers into a registry of its own, so that its tasks go
  // into the worker's all or none, and a clash is reported here, by name,
  // whatever the plugin does with Register()'s status.
  TaskRegistry staged;
  absl::Status status;
  try {
    register_tasks(&staged, &status);
  } catch (const std::exception& e) {
    return absl::InternalError(Prefix(path) + "registration threw: " + e.what());
  } catch (...) {
    return absl::InternalError(Prefix(path) + "registration threw a non-std exception");
  }
  if (!status.ok()) {
    return absl::Status(status.code(),
                        Prefix(path) + "registration failed: " + std::string(status.message()));
  }
  if (staged.tasks().empty()) {
    return absl::FailedPreconditionError(Prefix(path) + "registered no task");
  }
  for (const auto& [name, definition] : staged.tasks()) {
    if (registry->Find(name) != nullptr) {
      return absl::AlreadyExistsError(Prefix(path) + "task \"" + name +
                                      "\" is already registered (built in, or by an earlier "
                                      "plugin); none of the plugin's tasks were added");
    }
  }
  for (const auto& [name, definition] : staged.tasks()) {
    absl::Status added = registry->Register(name, definition.kind, definition.function);
    if (!added.ok()) {
      // Checked just above, on the one thread that fills the registry.
      return absl::InternalError(Prefix(path) + added.ToString());
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status LoadPlugin(const std::string& path, TaskRegistry* registry) {
  absl::Status status;
  const std::string name = DlopenName(path, &status);
  if (!status.ok()) {
    return status;
  }
  // RTLD_NOW: a symbol the worker lacks fails here, with a message, not in
  // the middle of a job. RTLD_LOCAL: two plugins may use the same names for
  // their own helpers.
  LibraryHandle library(dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL));
  if (library.get() == nullptr) {
    const std::string reason = DlErrorText();
    if (path.find('/') == std::string::npos && name == path) {
      return absl::NotFoundError(Prefix(path) + "no such file here or in the library path (" +
                                 reason + ")");
    }
    return absl::InvalidArgumentError(Prefix(path) +
                                      "cannot load it as a shared library: " + reason);
  }
  dlerror();  // clears a stale error, so a null symbol can be told from a missing one
  void* symbol = dlsym(library.get(), kPluginRegisterSymbol);
  if (symbol == nullptr) {
    return absl::NotFoundError(Prefix(path) + "no function " + kPluginRegisterSymbol +
                               ": not a jobq task plugin, or one built for another plugin "
                               "interface");
  }
  JOBQ_RETURN_IF_ERROR(Register(path, reinterpret_cast<JobqRegisterTasksV1>(symbol), registry));
  // Its functions are in the registry now, for the life of the process.
  library.Release();
  return absl::OkStatus();
}

}  // namespace jobq::worker
