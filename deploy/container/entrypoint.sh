#!/bin/sh
# The image's entry point: the first argument picks the program, the rest
# are its own flags. exec, so that the program gets tini's signals itself.
set -eu

usage() {
  cat >&2 <<'EOF'
usage: broker [jobq-broker flags] | worker [jobq-worker flags] | jobq [ARGS] | COMMAND [ARGS]
  broker  the broker; it listens on every interface of the container and needs
          CURVE keys and admin TLS with tokens there (see docs/operations.md)
  worker  a worker; --broker tcp://HOST:5556 or JOBQ_WORKER_BROKER says where
  jobq    the CLI (submit, status, keygen, ...)
EOF
}

if [ $# -eq 0 ]; then
  usage
  exit 2
fi
program=$1
shift
case $program in
  broker) exec /usr/bin/jobq-broker "$@" ;;
  worker) exec /usr/bin/jobq-worker "$@" ;;
  jobq) exec /usr/bin/jobq "$@" ;;
  -h | --help) usage; exit 0 ;;
  -*) usage; exit 2 ;;
  *) exec "$program" "$@" ;;
esac
