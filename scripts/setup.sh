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
  libjemalloc-dev
  libcli11-dev nlohmann-json3-dev
  libcurl4-openssl-dev libgmp-dev
  python3
  # Admin and monitoring: the broker's /metrics endpoint, `promtool check
  # metrics` and a gRPC client no one here wrote (Python) in the tests, and a
  # pseudo-terminal for the `jobq top` test.
  libcivetweb-dev prometheus python3-grpcio python3-protobuf tmux
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
