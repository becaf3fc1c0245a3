#!/usr/bin/env bash
# Checks the package's systemd units with `systemd-analyze verify`, against
# the files the package installs: the binaries named by ExecStart and the
# man pages named by Documentation. Any finding, even a warning such as an
# unknown key, fails the check. Then prints `systemd-analyze security`
# exposure scores. Needs no root and no running systemd.
#
#   deploy/verify-units.sh PACKAGE.deb
set -euo pipefail

if (($# != 1)) || [[ ! -f $1 ]]; then
  echo "usage: $0 PACKAGE.deb" >&2
  exit 2
fi
package=$1
units=(jobq-broker.service jobq-worker@w1.service)

root=$(mktemp -d -t jobq-verify.XXXXXX)
trap 'rm -rf "$root"' EXIT
dpkg-deb -x "$package" "$root"
# The units' dependencies (sysinit.target, ...) come from this host's
# systemd, which the package does not ship.
mkdir -p "$root/usr/lib/systemd"
cp -a /usr/lib/systemd/system "$root/usr/lib/systemd/"

echo "verify-units: systemd-analyze verify ${units[*]} ($(systemd-analyze --version | head -1))"
# man(1), which checks Documentation=, does not look under --root.
if ! findings=$(MANPATH="$root/usr/share/man" \
    systemd-analyze verify --root="$root" "${units[@]}" 2>&1) || [[ -n $findings ]]; then
  echo "$findings" >&2
  echo "verify-units: FAILED" >&2
  exit 1
fi
echo "verify-units: no findings"

for unit in "${units[@]}"; do
  systemd-analyze security --offline=yes --root="$root" "$unit" 2>/dev/null |
    sed -n 's/^→ /verify-units: /p'
done
