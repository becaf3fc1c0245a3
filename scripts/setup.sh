#!/usr/bin/env bash
# Installs the Debian packages jobq needs to build and test. Only what is
# missing is installed, so a second run costs one dpkg query per package.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libzmq3-dev cppzmq-dev
  libprotobuf-dev protobuf-compiler
  libgrpc++-dev protobuf-compiler-grpc libgrpc-dev
  libabsl-dev
  libgtest-dev libgmock-dev
  libsqlite3-dev
  # The shared store (--store postgres://...): libpq to build, and a
  # PostgreSQL 15 server that its tests start (tests/support/postgres_server.h).
  postgresql-15 libpq-dev
  libjemalloc-dev
  libcli11-dev nlohmann-json3-dev
  libcurl4-openssl-dev libgmp-dev
  python3
  # The admin service's TLS: libssl-dev checks the certificate and key at
  # start; the openssl command makes certificates (admin_auth_test, and the
  # recipe protected mode prints).
  libssl-dev openssl
  # Admin and monitoring: the broker's /metrics endpoint, `promtool check
  # metrics` and a gRPC client no one here wrote (Python) in the tests, and a
  # pseudo-terminal for the `jobq top` test.
  libcivetweb-dev prometheus python3-grpcio python3-protobuf tmux
  # Fuzzing and sanitizers (scripts/fuzz, scripts/sanitize): clang 14 with
  # libFuzzer and its sanitizer runtimes (libclang-rt-14-dev, only
  # recommended by clang), and llvm for llvm-symbolizer, which turns the
  # addresses of a fuzzer's crash report into file:line. GCC's runtimes
  # (libasan8, libubsan1, libtsan2) come with build-essential.
  clang libclang-rt-14-dev llvm
  # lld: every build links with it (CMakeLists.txt), four times faster than
  # GNU ld.
  lld
  # The man pages, made from the programs' --help at build time
  # (cmake/ManPages.cmake, deploy/man/*.h2m).
  help2man
  # The style check (scripts/check-style, the ctest test `style`).
  clang-format
  # The Python package (python/): its client and worker speak the wire
  # protocol with pyzmq and protobuf, are tested with pytest and installed
  # with pip into a venv in the tests.
  python3-zmq python3-pytest python3-venv python3-pip python3-setuptools
  # Cron schedules' time zones (common/cron_schedule.h reads the system's
  # tzdata through abseil): required in Debian 12, listed for slimmer images.
  tzdata
  # The multi-host tests (tests/multihost, root only): network namespaces,
  # veth pairs and a bridge.
  iproute2
  # The dashboard's tests in a real browser (tests/dashboard): headless
  # Chromium driven by Selenium through chromedriver.
  chromium chromium-driver python3-selenium
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

sudo=""
if [[ $(id -u) -ne 0 ]]; then
  if ! command -v sudo >/dev/null; then
    echo "setup: missing packages (${missing[*]}) and not root; run as root or install sudo" >&2
    exit 2
  fi
  sudo=sudo
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
