#include "broker/migrate/migrate_command.h"

#include <unistd.h>

#include <climits>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "broker/migrate/migrate_store.h"

namespace jobq::broker::migrate {

int RunMigrateStore(const std::string& from, const std::string& to) {
  char host[HOST_NAME_MAX + 1] = {};
  if (::gethostname(host, sizeof host - 1) != 0) {
    host[0] = '\0';
  }
  MigrateOptions options;
  // Brokers that wait meanwhile show this as their leader: it says who
  // holds the store and which process to look for.
  options.hold.holder = absl::StrCat("jobq-broker --migrate-store (", host, ":", ::getpid(), ")");
  absl::StatusOr<MigrateReport> report = MigrateStore(from, to, options);
  if (!report.ok()) {
    std::cerr << "jobq-broker: --migrate-store: " << report.status().message() << "\n";
    return 1;
  }
  std::cout << "jobq-broker: " << DescribeReport(*report) << std::endl;
  return 0;
}

}  // namespace jobq::broker::migrate
