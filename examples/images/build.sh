#!/usr/bin/env bash
# Builds the examples' stand-in images (examples/images/*/image.sh) into docker-save
# archives, so the seed documents' manifests run with no registry; see README.md here.
#
#   examples/images/build.sh [--import] [--data-dir DIR] [IMAGE...]
#
# IMAGE is a directory name under examples/images (default: all of them). Archives are
# cached in ${ORDINAL_IMAGE_CACHE:-/var/cache/ordinal/images}, named by a hash of
# everything that goes into them, and rebuilt only when that changes. The path of each
# archive is printed on stdout, one a line; progress goes to stderr. --import also loads
# every archive with `$ORDINAL image import --data-dir DIR` (ORDINAL defaults to the
# repository's bin/ordinal). Needs root (debootstrap, chroot), go, and Debian's
# debootstrap and busybox-static packages (installed when missing).
set -euo pipefail
shopt -s inherit_errexit

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${ORDINAL_IMAGE_CACHE:-/var/cache/ordinal/images}
ordinal=${ORDINAL:-$repo/bin/ordinal}
suite=bookworm
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
security_mirror=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
# base_recipe names the base rootfs; change the version when base_rootfs changes.
base_recipe="debootstrap-minbase-v1 $suite $mirror $security_mirror"

log() { echo "build.sh: $*" >&2; }
die() { log "$*"; exit 1; }

usage() {
  sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

import=false
data_dir=""
names=()
while [ $# -gt 0 ]; do
  case "$1" in
    --import) import=true ;;
    --data-dir) [ $# -ge 2 ] || usage; data_dir=$2; shift ;;
    --data-dir=*) data_dir=${1#--data-dir=} ;;
    -h|--help) usage ;;
    -*) log "unknown flag $1"; usage ;;
    *) names+=("$1") ;;
  esac
  shift
done
if [ ${#names[@]} -eq 0 ]; then
  for f in "$here"/*/image.sh; do names+=("$(basename "$(dirname "$f")")"); done
fi
for n in "${names[@]}"; do
  [ -f "$here/$n/image.sh" ] || die "no image $n (no $here/$n/image.sh)"
done
if $import; then
  [ -x "$ordinal" ] || die "$ordinal is not executable (make build, or set ORDINAL)"
fi
[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap and chroot)"

# hash_of prints a short hash of the named files and directories (paths relative to the
# repository, in sorted order, names and contents) and of any extra words.
hash_of() {
  local words=$1; shift
  {
    echo "$words"
    if [ $# -gt 0 ]; then
      (cd "$repo" && find "$@" -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum)
    fi
  } | sha256sum | cut -c1-16
}

# need_packages installs Debian packages of the build machine that are missing.
need_packages() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
}

# in_chroot runs a command inside rootfs $1 in its own mount and PID namespace with a
# fresh /proc: the mounts disappear with the namespace, whatever happens to this script.
in_chroot() {
  local root=$1; shift
  unshare --mount --pid --fork --mount-proc="$root/proc" \
    chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
    LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
}

# quietly runs a command with its output in log file $1, and shows the end of the log
# when the command fails.
quietly() {
  local logfile=$1; shift
  if ! "$@" >"$logfile" 2>&1; then
    tail -n 40 "$logfile" >&2
    die "failed: $*"
  fi
}

# base_rootfs makes the cached Debian base: debootstrap minbase with the updates and
# security suites, dpkg told to leave documentation out, and services forbidden to start.
base_rootfs() {
  local dir=$1 tmp
  [ -f "$dir/.complete" ] && return 0
  need_packages debootstrap
  mkdir -p "$(dirname "$dir")"
  tmp=$(mktemp -d "$dir.tmp.XXXXXX")
  log "debootstrap $suite (minbase) from $mirror into $tmp"
  quietly "$tmp/debootstrap.log" debootstrap --variant=minbase "$suite" "$tmp/root" "$mirror"
  cat >"$tmp/root/etc/apt/sources.list" <<EOF
deb $mirror $suite main
deb $mirror $suite-updates main
deb $security_mirror $suite-security main
EOF
  cat >"$tmp/root/etc/dpkg/dpkg.cfg.d/stand-in-images" <<'EOF'
# The stand-in images keep only the copyright files of their packages' documentation.
path-exclude=/usr/share/doc/*
path-include=/usr/share/doc/*/copyright
path-exclude=/usr/share/man/*
path-exclude=/usr/share/info/*
path-exclude=/usr/share/locale/*
path-exclude=/usr/share/lintian/*
EOF
  cat >"$tmp/root/etc/apt/apt.conf.d/90stand-in-images" <<'EOF'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
EOF
  printf '#!/bin/sh\n# No service starts while an image is built.\nexit 101\n' >"$tmp/root/usr/sbin/policy-rc.d"
  chmod 755 "$tmp/root/usr/sbin/policy-rc.d"
  cp /etc/resolv.conf "$tmp/root/etc/resolv.conf"
  quietly "$tmp/apt.log" in_chroot "$tmp/root" sh -c 'apt-get update && apt-get upgrade -y'
  in_chroot "$tmp/root" apt-get clean
  find "$tmp/root/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
  find "$tmp/root/usr/share/doc" -mindepth 1 -type d -empty -delete
  rm -rf "$tmp/root/usr/share/man"/* "$tmp/root/usr/share/info"/* "$tmp/root/usr/share/locale"/*
  mv "$tmp/root" "$dir"
  rm -rf "$tmp"
  touch "$dir/.complete"
}

# finish_rootfs removes what an image does not need: apt's lists and caches, logs and the
# build's policy-rc.d. /etc/resolv.conf, /etc/hostname and /etc/hosts are the runtime's
# (debootstrap copied the build machine's): the image keeps an empty resolv.conf and a
# localhost-only hosts file, as Debian's container images do.
finish_rootfs() {
  local root=$1
  in_chroot "$root" apt-get clean
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/debconf/*-old \
    "$root"/var/lib/dpkg/*-old "$root"/usr/sbin/policy-rc.d "$root"/.complete "$root"/etc/hostname
  find "$root/var/log" -type f -delete
  : >"$root/etc/resolv.conf"
  printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
  find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
}

# busybox_rootfs makes a minimal rootfs for a static Go binary: Debian's busybox-static
# with its applets (so `kubectl exec -it POD -- sh` works), root and nobody, /tmp.
busybox_rootfs() {
  local root=$1 applet
  need_packages busybox-static
  mkdir -p "$root"/{bin,dev,etc,proc,root,sys,tmp,usr/bin,usr/sbin,usr/local/bin,var/tmp}
  chmod 1777 "$root/tmp" "$root/var/tmp"
  chmod 700 "$root/root"
  cp /bin/busybox "$root/bin/busybox"
  for applet in $(/bin/busybox --list-full); do
    # Applets outside a directory (linuxrc) are for booting, not for containers.
    [[ "$applet" == */* && "$applet" != bin/busybox ]] || continue
    mkdir -p "$root/$(dirname "$applet")"
    ln -sf /bin/busybox "$root/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnobody:x:65534:\n' >"$root/etc/group"
  printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
}

# copy_overlay copies examples/images/NAME/rootfs over the image's rootfs, owned by root,
# leaving the modes of directories that exist already alone.
copy_overlay() {
  local src=$1 root=$2
  [ -d "$src" ] || return 0
  tar -C "$src" --owner=0 --group=0 -cf - . | tar -C "$root" --no-overwrite-dir -xf -
}

# build_image NAME builds the archive of examples/images/NAME and prints its path. It runs
# in a subshell, so what image.sh sets stays there.
build_image() (
  name=$1 dir="$here/$1"
  KIND="" TAG_ENV="" ENTRYPOINT="" CMD="" WORKDIR="" IMAGE_USER="" DESCRIPTION=""
  TAGS=() PACKAGES=() EXPOSE=() ENV=()
  # shellcheck source=/dev/null
  . "$dir/image.sh"
  [ ${#TAGS[@]} -gt 0 ] || die "$dir/image.sh sets no TAGS"
  local inputs=(examples/images/build.sh hack/rootfs-image go.mod "examples/images/$name")
  case "$KIND" in
    debian) h=$(hash_of "$base_recipe" "${inputs[@]}") ;;
    go) h=$(hash_of "$(go version) $(sha256sum /bin/busybox 2>/dev/null)" "${inputs[@]}") ;;
    *) die "$dir/image.sh: KIND must be debian or go, not '$KIND'" ;;
  esac
  out="$cache/$name-$h.tar"
  if [ -f "$out" ]; then
    log "$name: cached $out"
    echo "$out"
    return 0
  fi
  start=$SECONDS
  work=$(mktemp -d "$cache/.work-$name.XXXXXX")
  # The work dir holds no mounts (in_chroot's die with their namespace), so removing it
  # is safe.
  trap 'rm -rf "$work"' EXIT
  root="$work/rootfs"
  case "$KIND" in
    debian)
      base="$cache/base/$suite-$(hash_of "$base_recipe")"
      base_rootfs "$base"
      log "$name: installing ${PACKAGES[*]}"
      cp -a "$base" "$root"
      cp /etc/resolv.conf "$root/etc/resolv.conf"
      quietly "$work/apt.log" in_chroot "$root" apt-get install -y "${PACKAGES[@]}"
      ;;
    go)
      busybox_rootfs "$root"
      log "$name: go build ./examples/images/$name"
      (cd "$repo" && CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' \
        -o "$root/usr/local/bin/$name" "./examples/images/$name")
      ;;
  esac
  copy_overlay "$dir/rootfs" "$root"
  if declare -F customize >/dev/null; then
    ROOTFS=$root customize
  fi
  if [ "$KIND" = debian ]; then
    finish_rootfs "$root"
  fi
  args=(-rootfs "$root" -o "$work/image.tar" -created-by "examples/images/build.sh $name")
  for t in "${TAGS[@]}"; do args+=(-tag "$t"); done
  for e in "${ENV[@]}"; do args+=(-env "$e"); done
  for p in "${EXPOSE[@]}"; do args+=(-expose "$p"); done
  [ -n "$TAG_ENV" ] && args+=(-tag-env "$TAG_ENV")
  [ -n "$ENTRYPOINT" ] && args+=(-entrypoint "$ENTRYPOINT")
  [ -n "$CMD" ] && args+=(-cmd "$CMD")
  [ -n "$WORKDIR" ] && args+=(-workdir "$WORKDIR")
  [ -n "$IMAGE_USER" ] && args+=(-user "$IMAGE_USER")
  [ -n "$DESCRIPTION" ] && args+=(-label "org.opencontainers.image.description=$DESCRIPTION")
  "$rootfs_image" "${args[@]}"
  mv "$work/image.tar" "$out"
  # Older builds of this image are garbage now.
  find "$cache" -maxdepth 1 -regextype posix-extended -regex ".*/$name-[0-9a-f]{16}\.tar" \
    ! -name "$(basename "$out")" -delete
  log "$name: built $out ($(du -h "$out" | cut -f1)) in $((SECONDS - start))s"
  echo "$out"
)

mkdir -p "$cache"
exec 9>"$cache/.lock"
if ! flock -n 9; then
  log "waiting for another build.sh using $cache"
  flock 9
fi
# Leftovers of an interrupted build.
rm -rf "$cache"/.work-* "$cache"/base/*.tmp.*

rootfs_image="$cache/.rootfs-image"
(cd "$repo" && go build -o "$rootfs_image" ./hack/rootfs-image)

archives=()
for n in "${names[@]}"; do
  a=$(build_image "$n")
  archives+=("$a")
done
printf '%s\n' "${archives[@]}"

if $import; then
  dd=()
  [ -n "$data_dir" ] && dd=(--data-dir "$data_dir")
  for a in "${archives[@]}"; do
    start=$SECONDS
    "$ordinal" image import "${dd[@]}" "$a" >&2
    log "imported $(basename "$a") in $((SECONDS - start))s"
  done
fi
