#!/usr/bin/env bash
# Checks the container image, the compose file and the Kubernetes manifests
# as far as they can be checked without a container engine's daemon, a
# cluster or a registry:
#
#  1. yamllint on every YAML file of deploy/ (deploy/.yamllint.yaml);
#  2. the compose file against Compose's schema (`docker compose config`,
#     else docker-compose's);
#  3. `kubectl kustomize` of deploy/k8s, deploy/k8s-ha and deploy/k8s-keda
#     (with stand-in secret files: kustomize only copies them), then
#     check_manifests.py on what they render and on the compose file: names
#     that must match across files, the hardening of every container, the
#     brokers sharing one store and every client listing them all;
#  4. as root, with podman (rootful, vfs storage, host network, runc): the
#     image from deploy/container/Containerfile, on a base made from the
#     Debian 12 root that deploy/test-deb.sh bootstrapped, with the package
#     in it (--build-arg JOBQ_DEB=prebuilt); then the flags the manifests
#     pass, against the programs' --help in that image; then a broker, a
#     worker and `jobq submit sum_squares --wait`, each in its own container
#     hardened as the manifests ask (read-only root, no capabilities,
#     no-new-privileges, uid 10001), and `jobq shutdown`.
#
#   deploy/check-deploy.sh [--deb FILE | --build-dir DIR [--no-build]] [--no-image] [--clean]
#
#   --deb FILE      put this package in the image (otherwise DIR's, as test-deb.sh does)
#   --build-dir DIR configured Release build directory to package (build-release)
#   --no-build      package what DIR holds, without `cmake --build`
#   --no-image      skip step 4
#   --clean         delete podman's storage for this script afterwards
#
# Installs yamllint, docker-compose, podman and runc with apt-get when
# missing (root). Podman's images live in /var/lib/jobq-check-deploy (about
# 1.5 GB, kept for the next run unless --clean); the base image needs
# /var/cache/jobq-test-deb from a run of deploy/test-deb.sh.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
deploy=$repo/deploy
build_dir=$repo/build-release
deb="" build=1 image=1 clean=0
while (($#)); do
  case $1 in
    --deb) deb=$(realpath "$2"); shift 2 ;;
    --build-dir) build_dir=$(realpath "$2"); shift 2 ;;
    --no-build) build=0; shift ;;
    --no-image) image=0; shift ;;
    --clean) clean=1; shift ;;
    *) sed -n '22,28p' "$0" >&2; exit 2 ;;
  esac
done

step() { echo "check-deploy: [${SECONDS}s] $*"; }
fail() { echo "check-deploy: FAILED: $*" >&2; exit 1; }
skip() { echo "check-deploy: SKIPPED: $*"; }
is_root() { [[ $(id -u) -eq 0 ]]; }

work=$(mktemp -d -t jobq-check-deploy.XXXXXX)
storage=/var/lib/jobq-check-deploy
podman_cmd=(podman --root "$storage/storage" --runroot /run/jobq-check-deploy
  --storage-driver vfs)
containers=()
cleanup() {
  local status=$? name
  for name in "${containers[@]}"; do
    "${podman_cmd[@]}" rm -f "$name" >/dev/null 2>&1 || true
  done
  if ((clean)) && [[ -d $storage ]]; then
    "${podman_cmd[@]}" system reset --force >/dev/null 2>&1 || true
    rm -rf "$storage"
  fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Packages this script needs and the project's own setup does not.
need() {
  local missing=() package
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
      missing+=("$package")
  done
  ((${#missing[@]})) || return 0
  is_root || { skip "needs ${missing[*]} (apt-get install, as root)"; return 1; }
  step "apt-get install ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" \
    >"$work/apt.log" 2>&1 || { tail -20 "$work/apt.log" >&2; fail "apt-get install"; }
}

# --- 1. yamllint --------------------------------------------------------------
need yamllint python3-yaml
yaml_files=("$deploy/compose.yaml" "$deploy/.yamllint.yaml" "$deploy/k8s" "$deploy/k8s-ha"
  "$deploy/k8s-keda")
step "yamllint ${yaml_files[*]#"$repo/"}"
yamllint --strict -c "$deploy/.yamllint.yaml" -f parsable "${yaml_files[@]}" || fail "yamllint"

# --- 2. compose ---------------------------------------------------------------
# `docker compose` (v2) needs no daemon for `config`, but is a plugin that
# may be missing; Debian's docker-compose (v1) validates against the
# Compose specification's schema too.
if docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
elif need docker-compose; then
  compose=(docker-compose)
else
  compose=()
fi
if ((${#compose[@]})); then
  step "${compose[*]} config (the schema; secrets' files need not exist)"
  (cd "$deploy" && "${compose[@]}" -f compose.yaml config -q) || fail "compose config"
  (cd "$deploy" && JOBQ_WORKERS=5 "${compose[@]}" -f compose.yaml config) >"$work/compose.out"
  grep -q 'replicas: 5' "$work/compose.out" || fail "JOBQ_WORKERS does not set the replicas"
else
  skip "compose config: neither docker compose nor docker-compose"
fi

# --- 3. kustomize and the cross-file checks -----------------------------------
rendered=()
if command -v kubectl >/dev/null; then
  cp -r "$deploy/k8s" "$deploy/k8s-ha" "$deploy/k8s-keda" "$work/"
  rm -rf "$work/k8s/secrets" "$work/k8s-ha/secrets"
  mkdir "$work/k8s/secrets" "$work/k8s-ha/secrets"
  for file in broker.key broker.pub worker.key producers.allow workers.allow admin.crt admin.key \
    admin.tokens; do
    echo "stand-in for make-secrets.sh's $file" >"$work/k8s/secrets/$file"
  done
  # The operator's file, in its documented form (k8s-ha/kustomization.yaml).
  printf 'JOBQ_STORE=postgres://jobq@db.example:5432/jobq?sslmode=require\nPGPASSWORD=stand-in\n' \
    >"$work/k8s-ha/secrets/database.env"
  for dir in k8s k8s-ha k8s-keda; do
    step "kubectl kustomize deploy/$dir"
    kubectl kustomize "$work/$dir" >"$work/$dir.rendered.yaml" || fail "kustomize deploy/$dir"
    echo "check-deploy:   $(grep -c '^kind:' "$work/$dir.rendered.yaml") objects:" \
      "$(grep '^kind:' "$work/$dir.rendered.yaml" | awk '{print $2}' | sort | uniq -c |
        awk '{printf "%s%s %s", sep, $1, $2; sep=", "}')"
    rendered+=(--k8s "$work/$dir.rendered.yaml")
  done
else
  skip "kustomize: no kubectl"
fi
check_args=("${rendered[@]}" --compose "$deploy/compose.yaml"
  --metrics-source "$repo/broker/metrics/metrics_text.cpp")
step "check_manifests.py (names across files, hardening)"
python3 "$deploy/check_manifests.py" "${check_args[@]}" || fail "check_manifests"

# --- 4. the image ---------------------------------------------------------------
if ((!image)); then
  skip "the image (--no-image)"
  step "PASSED (without the image) in ${SECONDS}s"
  exit 0
fi
if ! is_root; then
  skip "the image: podman here runs rootful (run as root)"
  step "PASSED (without the image) in ${SECONDS}s"
  exit 0
fi
base_tar=${JOBQ_DEB_CACHE:-/var/cache/jobq-test-deb}/bookworm-minbase-$(dpkg --print-architecture).tar
[[ -f $base_tar ]] || fail "no $base_tar: run deploy/test-deb.sh once (it bootstraps that root)"
need podman runc

# The package, as deploy/test-deb.sh makes it.
if [[ -z $deb ]]; then
  if ((build)); then
    step "building $build_dir"
    cmake --build "$build_dir" >"$work/build.log" 2>&1 || { tail -20 "$work/build.log" >&2; fail "build"; }
  fi
  step "cpack -G DEB in $build_dir"
  (cd "$build_dir" && cpack -G DEB -B "$build_dir/packages") >"$work/cpack.log" 2>&1 ||
    { cat "$work/cpack.log" >&2; fail "cpack"; }
  deb=$(sed -n 's/^CPack: - package: \(.*\) generated\.$/\1/p' "$work/cpack.log")
fi
[[ -f $deb ]] || fail "no package ${deb:-from cpack}"
step "package $deb: $(dpkg-deb -f "$deb" Package Version | tr '\n' ' ')"

# Podman's defaults do not fit this kind of machine: crun refuses cgroup v1
# with a cgroup2 hierarchy mounted beside it (runc takes it), and its
# default rlimits (nofile 1048576) are above what root may set without
# CAP_SYS_RESOURCE. Both settings are this script's, not the image's.
nofile=$(ulimit -Hn)
nproc=$(ulimit -Hu)
[[ $nproc == unlimited ]] || ((nproc <= 32768)) || nproc=32768
cat >"$work/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
[engine]
runtime = "runc"
EOF
export CONTAINERS_CONF=$work/containers.conf

# The Containerfile names docker.io/library/debian:12 and :12-slim; a minbase
# debootstrap of Debian 12 stands in for both, so nothing is pulled.
step "base image from $base_tar"
mkdir "$work/root"
tar -C "$work/root" --numeric-owner -xpf "$base_tar"
tar -C "$work/root" --numeric-owner -c . |
  "${podman_cmd[@]}" import --quiet - localhost/jobq-check-base >/dev/null || fail "podman import"
rm -rf "$work/root"
for tag in docker.io/library/debian:12 docker.io/library/debian:12-slim; do
  "${podman_cmd[@]}" tag localhost/jobq-check-base "$tag"
done

# Only what the prebuilt stage and the runtime stage read from the context.
context=$work/context
mkdir -p "$context/deploy/container/packages"
cp "$deploy/container/entrypoint.sh" "$context/deploy/container/"
cp "$deb" "$context/deploy/container/packages/"
step "podman build --build-arg JOBQ_DEB=prebuilt -f deploy/container/Containerfile (apt-get inside)"
"${podman_cmd[@]}" build --pull=never --network host --build-arg JOBQ_DEB=prebuilt \
  -f "$deploy/container/Containerfile" -t localhost/jobq:check "$context" >"$work/image.log" 2>&1 ||
  { tail -30 "$work/image.log" >&2; fail "podman build"; }
# The images of earlier runs, untagged now: with vfs each is a full copy.
"${podman_cmd[@]}" image prune --force >/dev/null
"${podman_cmd[@]}" image inspect localhost/jobq:check \
  --format 'check-deploy:   image {{.Id}}: {{.Size}} bytes, user {{.Config.User}}, entrypoint {{.Config.Entrypoint}} {{.Config.Cmd}}'

hardened=(--network host --read-only --tmpfs /tmp --cap-drop ALL
  --security-opt no-new-privileges)
run() { "${podman_cmd[@]}" run --rm "${hardened[@]}" localhost/jobq:check "$@"; }

# One container for all of it: with vfs storage each one starts from a copy
# of the image.
mkdir "$work/help"
chown 10001:10001 "$work/help"
"${podman_cmd[@]}" run --rm "${hardened[@]}" -v "$work/help:/help" localhost/jobq:check sh -c \
  'id -u >/help/uid; jobq-broker --help >/help/broker; jobq-worker --help >/help/worker;
   { jobq --help; jobq status --help; } >/help/jobq' || fail "the programs' --help in the image"
[[ $(cat "$work/help/uid") == 10001 ]] || fail "the image does not run as uid 10001"

# Loopback ports chosen by the broker: the host's network is shared, and
# nothing else may be disturbed. The store is on a volume, as in the pod.
step "broker, worker and a job, each in a hardened container"
mkdir -m 0750 "$work/data"
chown 10001:10001 "$work/data"
extra=()
grep -q -- '--health' "$work/help/broker" && extra+=(--health 127.0.0.1:0)
containers+=(jobq-check-broker)
"${podman_cmd[@]}" run -d --name jobq-check-broker "${hardened[@]}" -v "$work/data:/var/lib/jobq" \
  localhost/jobq:check broker --frontend 'tcp://127.0.0.1:*' --backend 'tcp://127.0.0.1:*' \
  --admin 127.0.0.1:0 --metrics 127.0.0.1:0 "${extra[@]}" \
  --ready-file /var/lib/jobq/ready.json >/dev/null
ready=$work/data/ready.json
for _ in $(seq 100); do [[ -s $ready ]] && break; sleep 0.2; done
logs() { "${podman_cmd[@]}" logs "$1" 2>&1 | tail -n 20 >&2; }
[[ -s $ready ]] || { logs jobq-check-broker; fail "broker not ready"; }
field() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p" "$ready"; }
frontend=$(field frontend) backend=$(field backend) admin=$(field admin)
echo "check-deploy:   broker: frontend $frontend, backend $backend, admin $admin"

containers+=(jobq-check-worker)
"${podman_cmd[@]}" run -d --name jobq-check-worker "${hardened[@]}" localhost/jobq:check \
  worker --broker "$backend" --name check-worker --io-threads 2 --cpu-procs 2 >/dev/null

n=1000000
expected=$(((n - 1) * n * (2 * n - 1) / 6))
outcome=$(run jobq --broker "$frontend" --admin "$admin" submit sum_squares --arg n=$n --wait) ||
  { echo "$outcome"; logs jobq-check-broker; logs jobq-check-worker; fail "submit"; }
echo "check-deploy:   $outcome"
[[ $outcome == *'"state":"succeeded"'* && $outcome == *"\"sum\":\"$expected\""* ]] ||
  fail "expected a success with sum $expected"
run jobq --admin "$admin" workers | sed 's/^/check-deploy:   /'
[[ -s $work/data/jobq.db ]] || fail "no store in the broker's volume"

step "jobq shutdown: the worker drains, both containers exit 0"
run jobq --admin "$admin" shutdown >/dev/null || fail "jobq shutdown"
for name in jobq-check-worker jobq-check-broker; do
  status=$(timeout 60 "${podman_cmd[@]}" wait "$name") || fail "$name still running after 60 s"
  [[ $status == 0 ]] || { logs "$name"; fail "$name exited $status"; }
done

# Last, so that a package older than the manifests still gets the run above.
step "the manifests' flags against the image's programs"
python3 "$deploy/check_manifests.py" "${check_args[@]}" --help-of broker="$work/help/broker" \
  --help-of worker="$work/help/worker" --help-of jobq="$work/help/jobq" ||
  fail "the manifests pass flags the image's programs do not have"

step "PASSED in ${SECONDS}s"
