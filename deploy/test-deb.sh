#!/usr/bin/env bash
# Builds the Debian package, installs it into a clean Debian 12 root made
# with debootstrap, and runs a job there: a broker, a worker and
# `jobq submit sum_squares --wait`, as the package's jobq user, then
# `jobq shutdown`. Then, when systemd-nspawn is here (systemd-container),
# it boots that root with systemd and runs jobs through the units
# themselves, sandboxing and all: two workers, a drain by `systemctl stop`,
# `jobq shutdown`, and the services stopped by `apt-get purge`. Root only
# (debootstrap, chroot, mounts); needs the debootstrap package and a Debian
# mirror.
#
#   deploy/test-deb.sh [--build-dir DIR] [--no-build] [--fresh] [--no-systemd] [--keep]
#
#   --build-dir DIR  configured build directory to package (build-release)
#   --no-build       package what DIR holds, without `cmake --build`
#   --fresh          bootstrap anew instead of from the cached root
#   --no-systemd     skip the boot with systemd-nspawn
#   --keep           leave the root in place for a look
#
# The bootstrapped root is cached as a tarball (JOBQ_DEB_CACHE, default
# /var/cache/jobq-test-deb; a week at most), so a rerun skips debootstrap.
# The mirror is the one apt uses here (JOBQ_DEB_MIRROR overrides it).
set -euo pipefail

if [[ $(id -u) -ne 0 ]]; then
  echo "test-deb: skipped: needs root (debootstrap, chroot, mounts)"
  exit 0
fi

repo=$(cd "$(dirname "$0")/.." && pwd)
build_dir=$repo/build-release
build=1 fresh=0 keep=0 with_systemd=1
while (($#)); do
  case $1 in
    --build-dir) build_dir=$(realpath "$2"); shift 2 ;;
    --no-build) build=0; shift ;;
    --fresh) fresh=1; shift ;;
    --no-systemd) with_systemd=0; shift ;;
    --keep) keep=1; shift ;;
    *) sed -n '12,18p' "$0" >&2; exit 2 ;;
  esac
done
suite=bookworm
arch=$(dpkg --print-architecture)
cache_dir=${JOBQ_DEB_CACHE:-/var/cache/jobq-test-deb}
cache=$cache_dir/$suite-minbase-$arch.tar

step() { echo "test-deb: [${SECONDS}s] $*"; }
fail() { echo "test-deb: FAILED: $*" >&2; exit 1; }

# --- cleanup: stop what we started, unmount, and only then delete --------
work=$(mktemp -d -t jobq-test-deb.XXXXXX)
root=$work/root
mounts=()
pids=()
cleanup() {
  local status=$? pid i
  for pid in "${pids[@]}"; do
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do
    umount "${mounts[i]}" 2>/dev/null || umount -l "${mounts[i]}" || true
  done
  # Never rm -rf through a mount (a bound /dev would go with it).
  if awk -v root="$root/" 'index($2 "/", root) == 1 { found = 1 } END { exit !found }' \
      /proc/mounts; then
    echo "test-deb: mounts left under $root; not deleting $work" >&2
  elif ((keep)); then
    echo "test-deb: kept $root"
  else
    rm -rf "$work"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

in_root() { chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 "$@"; }
as_jobq() { chroot --userspec=jobq:jobq "$root" env -i PATH=/usr/bin:/bin HOME=/var/lib/jobq "$@"; }

# --- the package -----------------------------------------------------------
if ((build)); then
  step "building $build_dir"
  cmake --build "$build_dir" >"$work/build.log" 2>&1 || { tail -20 "$work/build.log" >&2; fail "build"; }
fi
[[ -f $build_dir/CPackConfig.cmake ]] ||
  fail "$build_dir has no CPackConfig.cmake: configure it with cmake/Packaging.cmake included"
step "cpack -G DEB in $build_dir"
(cd "$build_dir" && cpack -G DEB -B "$build_dir/packages") >"$work/cpack.log" 2>&1 ||
  { cat "$work/cpack.log" >&2; fail "cpack"; }
package=$(sed -n 's/^CPack: - package: \(.*\) generated\.$/\1/p' "$work/cpack.log")
[[ -f $package ]] || { cat "$work/cpack.log" >&2; fail "no package in cpack's output"; }
step "package $package: $(dpkg-deb -f "$package" Package Version Architecture | tr '\n' ' ')"
"$repo/deploy/verify-units.sh" "$package"

# --- a clean Debian 12 root --------------------------------------------------
sources() {
  # URIs of the deb822 .sources and one-line .list files apt reads here.
  {
    grep -hE '^[[:space:]]*URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null |
      sed 's/^[[:space:]]*URIs://' | tr ' ' '\n'
    grep -hE '^[[:space:]]*deb[[:space:]]' /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
      2>/dev/null | tr ' ' '\n' | grep '://'
  } | grep -E '://' || true
}
mirror=${JOBQ_DEB_MIRROR:-$(sources | grep -E '/debian/?$' | head -1)}
security=$(sources | grep -E '/debian-security/?$' | head -1)
[[ -n $mirror ]] || fail "no Debian mirror in /etc/apt/sources.list*: set JOBQ_DEB_MIRROR"
command -v debootstrap >/dev/null || fail "debootstrap missing: apt-get install debootstrap"

mkdir -p "$root"
if ((!fresh)) && [[ -n $(find "$cache" -mtime -7 2>/dev/null) ]]; then
  step "unpacking the cached $suite root $cache"
  tar -C "$root" --numeric-owner -xpf "$cache"
else
  step "debootstrap --variant=minbase $suite from $mirror"
  debootstrap --variant=minbase "$suite" "$root" "$mirror" >"$work/debootstrap.log" 2>&1 ||
    { tail -20 "$work/debootstrap.log" >&2; fail "debootstrap"; }
  mkdir -p "$cache_dir"
  tar -C "$root" --numeric-owner -cpf "$cache.tmp" . && mv "$cache.tmp" "$cache"
  step "cached the root as $cache"
fi

{
  echo "deb $mirror $suite main"
  echo "deb $mirror $suite-updates main"
  [[ -z $security ]] || echo "deb $security $suite-security main"
} >"$root/etc/apt/sources.list"
cp /etc/resolv.conf "$root/etc/resolv.conf"
mount -t proc proc "$root/proc"
mounts+=("$root/proc")
mount --bind /dev "$root/dev"
mounts+=("$root/dev")
mount -t sysfs -o ro sysfs "$root/sys"
mounts+=("$root/sys")

# --- install ---------------------------------------------------------------
cp "$package" "$root/tmp/"
step "apt-get install ./$(basename "$package") (no recommends: the Depends alone must do)"
{
  in_root apt-get update -q &&
    in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
      "/tmp/$(basename "$package")"
} >"$work/apt.log" 2>&1 || { tail -30 "$work/apt.log" >&2; fail "apt-get install"; }
grep -E '^(Setting up|Unpacking) jobq' "$work/apt.log" | sed 's/^/test-deb:   /'

step "checking the installed files"
# shellcheck disable=SC2016 # dpkg-query's own ${Field} syntax
[[ $(in_root dpkg-query -W -f='${Status}' jobq) == "install ok installed" ]] || fail "dpkg status"
in_root getent passwd jobq >/dev/null || fail "no jobq user"
[[ $(in_root stat -c %U /var/lib/jobq) == jobq ]] || fail "/var/lib/jobq not owned by jobq"
# shellcheck disable=SC2016
in_root dpkg-query -W -f='${Conffiles}\n' jobq | grep -q /etc/default/jobq-worker ||
  fail "/etc/default files are not conffiles"
for program in jobq jobq-broker jobq-worker; do
  [[ -x $root/usr/bin/$program && -f $root/usr/share/man/man1/$program.1.gz ]] ||
    fail "$program or its man page missing"
  as_jobq "$program" --help >/dev/null || fail "$program --help"
done
for unit in jobq-broker.service jobq-worker@.service; do
  [[ -f $root/lib/systemd/system/$unit ]] || fail "$unit missing"
done
step "jobq $(as_jobq jobq --version), user $(in_root id jobq)"

# --- run a job, as the units would: user jobq, state in /var/lib/jobq ------
step "starting jobq-broker (SQLite store in /var/lib/jobq) and one jobq-worker"
as_jobq jobq-broker --frontend 'tcp://127.0.0.1:*' --backend 'tcp://127.0.0.1:*' \
  --admin 127.0.0.1:0 --data-dir /var/lib/jobq --ready-file /var/lib/jobq/ready.json \
  >"$work/broker.log" 2>&1 &
broker_pid=$!
pids+=("$broker_pid")
ready=$root/var/lib/jobq/ready.json
for _ in $(seq 100); do [[ -s $ready ]] && break; sleep 0.1; done
[[ -s $ready ]] || { cat "$work/broker.log" >&2; fail "broker not ready"; }
field() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p" "$ready"; }
frontend=$(field frontend) backend=$(field backend) admin=$(field admin)
step "broker pid $broker_pid: frontend $frontend, backend $backend, admin $admin"

as_jobq jobq-worker --broker "$backend" --name test-deb --io-threads 2 --cpu-procs 2 \
  >"$work/worker.log" 2>&1 &
worker_pid=$!
pids+=("$worker_pid")

jobq() { as_jobq timeout 60 jobq --broker "$frontend" --admin "$admin" "$@"; }
show_logs() { tail -n 20 "$work/broker.log" "$work/worker.log" >&2; }

n=1000000
expected=$(((n - 1) * n * (2 * n - 1) / 6))
step "jobq submit sum_squares --arg n=$n --wait (CPU pool: a child spawned from /proc/self/exe)"
outcome=$(jobq submit sum_squares --arg n=$n --wait) || { echo "$outcome"; show_logs; fail "submit"; }
echo "test-deb:   $outcome"
[[ $outcome == *'"state":"succeeded"'* && $outcome == *"\"sum\":\"$expected\""* ]] ||
  { show_logs; fail "expected a success with sum $expected"; }

step "jobq submit echo --arg greeting=hello --wait (I/O pool)"
outcome=$(jobq submit echo --arg greeting=hello --wait) || { echo "$outcome"; show_logs; fail "submit"; }
echo "test-deb:   $outcome"
[[ $outcome == *'"state":"succeeded"'*'"greeting":"hello"'* ]] || { show_logs; fail "echo"; }

jobq workers | sed 's/^/test-deb:   /'

step "jobq shutdown: the broker drains its worker and both exit 0"
jobq shutdown >/dev/null || { show_logs; fail "jobq shutdown"; }
for pid in "$worker_pid" "$broker_pid"; do
  for _ in $(seq 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && { show_logs; fail "pid $pid still running 30 s after shutdown"; }
  status=0
  wait "$pid" || status=$?
  ((status == 0)) || { show_logs; fail "pid $pid exited $status"; }
done
pids=()

if ((with_systemd)) && ! command -v systemd-nspawn >/dev/null; then
  step "skipping the boot with systemd: no systemd-nspawn (apt-get install systemd-container)"
  with_systemd=0
fi
if ((with_systemd)); then
  # shellcheck source=deploy/test-deb-systemd.sh
  . "$repo/deploy/test-deb-systemd.sh"
fi

step "PASSED in ${SECONDS}s"
