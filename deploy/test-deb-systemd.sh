# Sourced by test-deb.sh once the package works in the chroot: boots the
# root with systemd-nspawn and runs jobs through the units, because only
# systemd applies their sandboxing, and a setting that breaks the programs
# (ZeroMQ aborting without AF_NETLINK, say) shows nowhere else. Uses
# test-deb.sh's root, work, mounts, pids, n, expected, step, fail and in_root.
# shellcheck shell=bash disable=SC2154

step "apt-get install systemd dbus into the root, to boot it"
in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
  systemd systemd-sysv dbus >"$work/apt-systemd.log" 2>&1 ||
  { tail -30 "$work/apt-systemd.log" >&2; fail "apt-get install systemd"; }
# systemd-nspawn brings its own /proc, /dev and /sys.
for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount "${mounts[i]}"; done
mounts=()

# --private-network: the units' default ports are the container's own, and
# nothing reaches outside. --register=no --keep-unit: no machined needed.
step "systemd-nspawn --boot --private-network"
systemd-nspawn --quiet --register=no --keep-unit --private-network -D "$root" --boot \
  --console=pipe </dev/null >"$work/nspawn.log" 2>&1 &
nspawn_pid=$!
pids+=("$nspawn_pid")
# The container's init is nspawn's child named systemd; until then the child
# is nspawn's own, setting the container up.
leader=""
for _ in $(seq 100); do
  leader=$(pgrep -P "$nspawn_pid" -x systemd | head -1) && break
  sleep 0.1
done
[[ -n $leader ]] || { cat "$work/nspawn.log" >&2; fail "the container did not start"; }
# Killing the container's init ends everything in it: first in the cleanup.
pids=("$leader" "${pids[@]}")
in_box() { nsenter -t "$leader" -a env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 "$@"; }
# Polled: until systemd listens, systemctl cannot connect (and --wait fails).
state=""
for _ in $(seq 120); do
  state=$(in_box systemctl is-system-running 2>/dev/null) || true
  [[ $state == running || $state == degraded ]] && break
  sleep 0.5
done
[[ $state == running || $state == degraded ]] || { cat "$work/nspawn.log" >&2; fail "boot: $state"; }
step "booted ($state); systemctl enable --now jobq-broker jobq-worker@w1 jobq-worker@w2"
in_box systemctl enable --now jobq-broker jobq-worker@w1 jobq-worker@w2 2>&1 | sed 's/^/test-deb:   /'

box_logs() { in_box journalctl --no-pager -u 'jobq-*' | tail -n 30 >&2; }
box_jobq() { in_box timeout 60 jobq "$@"; }
for _ in $(seq 50); do
  [[ $(box_jobq workers 2>/dev/null | grep -c ' active ') == 2 ]] && break
  sleep 0.2
done
[[ $(box_jobq workers 2>/dev/null | grep -c ' active ') == 2 ]] || { box_logs; fail "2 workers"; }

step "four sum_squares at once, and an exec that looks around its sandbox"
lines=$(for _ in 1 2 3 4; do echo "{\"task\":\"sum_squares\",\"args\":{\"n\":$n}}"; done |
  box_jobq submit --file - --wait) || { echo "$lines"; box_logs; fail "sum_squares"; }
[[ $(grep -c "\"state\":\"succeeded\".*\"sum\":\"$expected\"" <<<"$lines") == 4 ]] ||
  { echo "$lines"; box_logs; fail "expected 4 successes"; }
script='id -un; test -r /home || echo home-hidden; touch /usr/x 2>/dev/null || echo usr-read-only'
outcome=$(box_jobq submit exec --json "{\"argv\":[\"/bin/sh\",\"-c\",\"$script\"]}" --wait) ||
  { echo "$outcome"; box_logs; fail "exec"; }
echo "test-deb:   $outcome"
[[ $outcome == *'"stdout":"jobq\nhome-hidden\nusr-read-only\n"'* ]] || fail "sandbox not as expected"

step "systemctl stop of both workers while they run sleeps: they drain"
ids=$(for _ in 1 2; do box_jobq submit sleep --arg seconds=2; done | sed 's/.*"id":"\([^"]*\)".*/\1/')
sleep 0.5
# shellcheck disable=SC2086 # one id a word
in_box systemctl stop jobq-worker@w1 jobq-worker@w2
# shellcheck disable=SC2086
lines=$(box_jobq wait $ids) || { echo "$lines"; box_logs; fail "wait"; }
[[ $(grep -c '"state":"succeeded"' <<<"$lines") == 2 ]] || { echo "$lines"; box_logs; fail "drain"; }
show() { in_box systemctl show -p Result,ExecMainStatus,NRestarts --value "$1" | paste -sd' '; }
for unit in jobq-worker@w1 jobq-worker@w2; do
  [[ $(show $unit) == "success 0 0" ]] || { box_logs; fail "$unit: $(show $unit)"; }
done

step "jobq shutdown: the broker exits 0 and stays stopped"
box_jobq shutdown >/dev/null || { box_logs; fail "jobq shutdown"; }
for _ in $(seq 50); do in_box systemctl is-active -q jobq-broker || break; sleep 0.2; done
sleep 2.5  # past RestartSec: a restart would show now
[[ $(in_box systemctl is-active jobq-broker) == inactive && $(show jobq-broker) == "success 0 0" ]] ||
  { box_logs; fail "jobq-broker: $(show jobq-broker)"; }

step "apt-get purge jobq with the services running: they stop, the store goes"
in_box systemctl start jobq-broker jobq-worker@w1
in_box env DEBIAN_FRONTEND=noninteractive apt-get purge -y -q jobq >"$work/purge.log" 2>&1 ||
  { cat "$work/purge.log" >&2; fail "apt-get purge"; }
for unit in jobq-broker jobq-worker@w1; do
  [[ $(in_box systemctl is-active "$unit") == inactive ]] || fail "$unit still running"
done
[[ ! -e $root/var/lib/jobq && ! -e $root/etc/default/jobq-worker ]] || fail "purge left files"
[[ -z $(find "$root/etc/systemd/system" -name 'jobq-*') ]] || fail "purge left unit links"

in_box systemctl poweroff 2>/dev/null || true  # the connection drops as it goes down
for _ in $(seq 300); do kill -0 "$nspawn_pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$nspawn_pid" 2>/dev/null && fail "the container did not power off"
wait "$nspawn_pid" || true
pids=()
