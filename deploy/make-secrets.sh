#!/usr/bin/env bash
# Makes every secret a jobq cluster needs, in one directory, for
# deploy/compose.yaml (deploy/secrets) and deploy/k8s (deploy/k8s/secrets):
#
#   broker.key, broker.pub        the broker's CURVE key pair (jobq keygen)
#   producer.key, producer.pub    one key pair shared by the producers
#   worker.key, worker.pub        one key pair shared by the workers
#   producers.allow, workers.allow  the broker's allow-lists
#   admin.crt, admin.key          a self-signed certificate for the admin
#                                 service; clients trust it with --admin-ca
#   admin.tokens                  the broker's --admin-tokens file
#   admin.token, read.token       the two tokens, for `jobq --token-file`
#   db.password                   the password of the compose file's database user jobq
#   pgpass                        the same as a libpq password file, for the brokers
#
#   deploy/make-secrets.sh DIR [--image IMAGE] [--san NAME]... [--force]
#
#   --image IMAGE  run `jobq keygen` in that image (docker or podman; set
#                  JOBQ_ENGINE to choose) instead of the jobq on PATH
#   --san NAME     one more name (or IP address) the admin certificate is
#                  valid for: the host or load balancer clients dial
#   --force        replace the files of an earlier run (every client must
#                  then get the new ones)
#
# The certificate is valid for the names the compose file and the manifests
# use: broker, broker-b, localhost, 127.0.0.1, jobq-broker in the jobq
# namespace and its pods jobq-broker-0 and -1 (deploy/k8s-ha).
# One shared key per role suits a compose project or a Deployment, whose
# replicas are alike; on many machines give each host its own key pair and
# list every .pub (docs/operations.md). Run as root, it hands the files to
# uid 10001, the image's jobq user, as compose mounts them unchanged.
#
# A directory made before the database files existed gets only those, so
# that its keys stay valid; --force replaces everything.
set -euo pipefail

usage() { sed -n '16,24p' "$0" >&2; exit 2; }

dir="" image="" force=0
sans=(DNS:broker DNS:broker-b DNS:localhost IP:127.0.0.1 DNS:jobq-broker DNS:jobq-broker.jobq
  DNS:jobq-broker.jobq.svc DNS:jobq-broker.jobq.svc.cluster.local
  DNS:jobq-broker-0.jobq-broker-pods DNS:jobq-broker-1.jobq-broker-pods)
while (($#)); do
  case $1 in
    --image) image=$2; shift 2 ;;
    --san)
      if [[ $2 =~ ^[0-9.]+$ || $2 == *:* ]]; then sans+=("IP:$2"); else sans+=("DNS:$2"); fi
      shift 2 ;;
    --force) force=1; shift ;;
    -*) usage ;;
    *) [[ -z $dir ]] || usage; dir=$1; shift ;;
  esac
done
[[ -n $dir ]] || usage
command -v openssl >/dev/null || { echo "make-secrets: needs openssl" >&2; exit 2; }

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
umask 077

# The password needs no quoting anywhere: hex. The passfile's wildcards
# match whichever host, port and database the brokers are given.
database_files() {
  openssl rand -hex 24 >"$dir/db.password"
  printf '*:*:*:jobq:%s\n' "$(cat "$dir/db.password")" >"$dir/pgpass"
  chmod 0600 "$dir/db.password" "$dir/pgpass"
  if [[ $(id -u) -eq 0 ]]; then
    chown 10001:10001 "$dir/db.password" "$dir/pgpass"
  fi
}

if [[ -e $dir/broker.key ]] && ((!force)); then
  if [[ ! -e $dir/db.password ]]; then
    database_files
    echo "make-secrets: $dir had no database files; wrote db.password and pgpass only"
    exit 0
  fi
  echo "make-secrets: $dir/broker.key exists; --force replaces every file" >&2
  exit 1
fi

keygen() {
  local name=$1
  rm -f "$dir/$name.key" "$dir/$name.pub"
  if [[ -n $image ]]; then
    local engine=${JOBQ_ENGINE:-$(command -v docker || command -v podman)}
    "$engine" run --rm --user "$(id -u):$(id -g)" -v "$dir:/out" "$image" \
      jobq keygen "$name" --out-dir /out >/dev/null
  else
    jobq keygen "$name" --out-dir "$dir" >/dev/null
  fi
}
for name in broker producer worker; do
  keygen "$name"
done
cp "$dir/producer.pub" "$dir/producers.allow"
cp "$dir/worker.pub" "$dir/workers.allow"

san=$(IFS=,; echo "${sans[*]}")
openssl req -x509 -newkey rsa:3072 -nodes -days 825 -subj /CN=jobq-broker \
  -addext "subjectAltName=$san" -keyout "$dir/admin.key" -out "$dir/admin.crt" 2>/dev/null

openssl rand -hex 32 >"$dir/admin.token"
openssl rand -hex 32 >"$dir/read.token"
printf '# role token (jobq-broker --admin-tokens)\nadmin %s\nread %s\n' \
  "$(cat "$dir/admin.token")" "$(cat "$dir/read.token")" >"$dir/admin.tokens"

database_files

# Public halves are public; the rest is for the owner alone.
chmod 0600 "$dir"/*
chmod 0644 "$dir"/*.pub "$dir"/*.allow "$dir/admin.crt"
if [[ $(id -u) -eq 0 ]]; then
  chown 10001:10001 "$dir"/*
  owner="uid 10001 (the image's jobq user)"
else
  owner="you: containers run as uid 10001 and need \`sudo chown 10001:10001 $dir/*\`"
fi
echo "make-secrets: wrote $(cd "$dir" && echo *) in $dir, owned by $owner"
