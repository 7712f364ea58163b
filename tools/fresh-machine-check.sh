#!/usr/bin/env bash
# Proves the README's two commands (`make demo`, then `make test`) on a fresh Debian 12 root: debootstraps
# bookworm into a folder, gives it only what a fresh development machine of this kind has beside Debian
# (the .NET SDK at /usr/share/dotnet with /usr/bin/dotnet, /opt/nuget/packages, the machine's CA
# certificates, apt sources, npm config and DOTNET_*/NUGET_* settings), clones the current commit with
# ../shared beside it, and runs both commands in a chroot with an empty HOME and empty caches.
# Prints PASS/FAIL per command; full logs under $GPUSEARCH_FRESH/logs. Needs root; the network is the host's.
#
#   tools/fresh-machine-check.sh [--commit REV]
#   GPUSEARCH_FRESH=/var/tmp/gpusearch-fresh (default)  folder holding the root, the cached base tarball, the logs
#   GPUSEARCH_FRESH_TIMEOUT=5400 (default)               seconds allowed per command
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
rev=HEAD
[ "${1:-}" = --commit ] && rev=${2:?--commit needs a revision}
commit=$(git -C "$repo" rev-parse --verify "$rev^{commit}")
base=${GPUSEARCH_FRESH:-/var/tmp/gpusearch-fresh}
root=$base/root
logs=$base/logs
tarball=$base/bookworm-minbase.tgz
limit=${GPUSEARCH_FRESH_TIMEOUT:-5400}
shared=$(cd "$repo/.." && pwd)/shared
[ "$(id -u)" -eq 0 ] || { echo "error: run as root (debootstrap, chroot and bind mounts need it)" >&2; exit 2; }
case "$base" in "$repo"|"$repo"/*) echo "error: GPUSEARCH_FRESH must be outside the repository" >&2; exit 2;; esac

# What a fresh machine of this kind has besides the .NET SDK: git, make, the SDK's own dependencies.
include=ca-certificates,git,make,libicu72,libssl3,zlib1g,libstdc++6
mirror=$(sed -n 's/^URIs: *\([^ ]*\/debian\)$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1)
[ -n "$mirror" ] || mirror=$(sed -n 's/^deb \([^ ]*\/debian\) bookworm .*/\1/p' /etc/apt/sources.list 2>/dev/null | head -1)
mirror=${mirror:-http://deb.debian.org/debian}

mounts=()
unmount_all() {
  local i
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount -R "${mounts[i]}" 2>/dev/null || umount -l "${mounts[i]}" 2>/dev/null || true; done
  mounts=()
}
trap unmount_all EXIT
bind() { # bind SRC DEST [ro]
  mkdir -p "$2"; mount --rbind "$1" "$2"; mounts+=("$2")
  if [ "${3:-}" = ro ]; then mount -o remount,ro,bind "$2"; fi
}

mkdir -p "$base" "$logs"
rm -f "$logs"/*.log
# A previous run's mounts (killed before its trap ran) must go before its root is deleted.
for m in $(awk -v r="$root" 'index($2, r) == 1 { print $2 }' /proc/mounts | sort -r); do umount -l "$m" || true; done
rm -rf "$root"

command -v debootstrap >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; }
if [ ! -f "$tarball" ]; then
  echo "fresh: downloading Debian 12 (bookworm, minbase + $include) from $mirror into $tarball"
  rm -rf "$base/tarball-work"
  debootstrap --variant=minbase --include="$include" --make-tarball="$tarball.tmp" bookworm "$base/tarball-work" "$mirror" >"$logs/debootstrap-download.log" 2>&1
  mv "$tarball.tmp" "$tarball"; rm -rf "$base/tarball-work"
fi
echo "fresh: installing the base system into $root"
debootstrap --variant=minbase --include="$include" --unpack-tarball="$tarball" bookworm "$root" "$mirror" >"$logs/debootstrap.log" 2>&1

# The machine's own settings: apt sources, DNS, the CA certificates its egress needs, npm's config.
rm -f "$root/etc/apt/sources.list"
cp /etc/apt/sources.list.d/*.sources "$root/etc/apt/sources.list.d/" 2>/dev/null || cp /etc/apt/sources.list "$root/etc/apt/"
cp /etc/resolv.conf "$root/etc/resolv.conf"
if [ -d /usr/local/share/ca-certificates ]; then cp -r /usr/local/share/ca-certificates/. "$root/usr/local/share/ca-certificates/"; fi
[ -f /etc/npmrc ] && cp /etc/npmrc "$root/etc/npmrc"

bind /proc "$root/proc"
bind /sys "$root/sys"
bind /dev "$root/dev"
bind /usr/share/dotnet "$root/usr/share/dotnet" ro
ln -sfn /usr/share/dotnet/dotnet "$root/usr/bin/dotnet"
[ -d /opt/nuget/packages ] && bind /opt/nuget/packages "$root/opt/nuget/packages" ro
chroot "$root" update-ca-certificates >"$logs/ca.log" 2>&1

git clone -q --no-hardlinks "$repo" "$root/work/repo"
git -C "$root/work/repo" checkout -q --detach "$commit"
if [ -d "$shared" ]; then bind "$shared" "$root/work/shared" ro; else echo "fresh: no $shared; tests needing it will skip"; fi

# Empty HOME and caches; only the settings a fresh machine of this kind starts with.
env_args=(HOME=/root USER=root LANG=C.UTF-8 TERM=dumb PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin)
for v in $(compgen -e); do case "$v" in DOTNET_*|NUGET_*) env_args+=("$v=${!v}");; esac; done

status=0
run_in_root() { # run_in_root NAME COMMAND
  local name=$1 cmd=$2 start rc
  start=$(date +%s)
  echo "fresh: $cmd (log: $logs/$name.log)"
  set +e
  timeout "$limit" nice -n 10 chroot "$root" /usr/bin/env -i "${env_args[@]}" bash -c "cd /work/repo && $cmd" >"$logs/$name.log" 2>&1
  rc=$?
  set -e
  if [ "$rc" -eq 0 ]; then
    echo "PASS $cmd ($(( $(date +%s) - start )) s)"
  else
    echo "FAIL $cmd (exit $rc after $(( $(date +%s) - start )) s); last lines of $logs/$name.log:"
    tail -n 25 "$logs/$name.log" | sed 's/^/  | /'
    status=1
  fi
}
echo "fresh: commit $commit"
run_in_root demo "make demo"
run_in_root test "make test"
grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped' "$logs/test.log" | tail -1 | sed 's/^/fresh: make test: /' || true
exit $status
