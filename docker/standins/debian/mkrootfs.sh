#!/usr/bin/env bash
# Build a Debian bookworm root filesystem tarball that stands in for the
# official debian:bookworm-slim image: debootstrap --variant=minbase plus the
# same minimizing config the official images carry (no docs/man/locales,
# apt cleans up after itself, no service starts in package scripts).
#
#   mkrootfs.sh OUT.tar [MIRROR]
set -euo pipefail

out=${1:?usage: mkrootfs.sh OUT.tar [MIRROR]}
mirror=${2:-http://deb.debian.org/debian}
suite=bookworm
debs=${DEBOOTSTRAP_CACHE:-}

work=$(mktemp -d "${TMPDIR:-/tmp}/rootfs.XXXXXX")
trap 'umount "$work/proc" 2>/dev/null || true; rm -rf "$work"' EXIT
root=$work/root

debootstrap --variant=minbase ${debs:+--cache-dir="$debs"} "$suite" "$root" "$mirror" >"$work/debootstrap.log" 2>&1 || {
    tail -n 30 "$work/debootstrap.log" >&2
    exit 1
}

# --- minimizing config (as in the official images) --------------------------
cat >"$root/usr/sbin/policy-rc.d" <<'EOF'
#!/bin/sh
# no service starts from package scripts inside containers
exit 101
EOF
chmod 755 "$root/usr/sbin/policy-rc.d"

cat >"$root/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
echo 'Acquire::Languages "none";' >"$root/etc/apt/apt.conf.d/docker-no-languages"
echo 'Acquire::GzipIndexes "true";' >"$root/etc/apt/apt.conf.d/docker-gzip-indexes"
echo 'Apt::AutoRemove::SuggestsImportant "false";' >"$root/etc/apt/apt.conf.d/docker-autoremove-suggests"
echo 'force-unsafe-io' >"$root/etc/dpkg/dpkg.cfg.d/docker-apt-speedup"

cat >"$root/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
# slim: keep copyright files, drop the rest of the documentation
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF

rm -f "$root/etc/apt/sources.list"
cat >"$root/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $mirror
Suites: $suite $suite-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${mirror%/debian}/debian-security
Suites: $suite-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF

# --- pick up security/point updates, then clean ------------------------------
cp /etc/resolv.conf "$root/etc/resolv.conf"
mount -t proc proc "$root/proc"
chroot "$root" sh -c 'export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get -y -qq -o Dpkg::Options::=--force-confold dist-upgrade >/dev/null
    apt-get clean' >"$work/upgrade.log" 2>&1 || { tail -n 30 "$work/upgrade.log" >&2; exit 1; }
umount "$root/proc"

find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
rm -rf "$root"/usr/share/{man,info,groff,linda,lintian}/*
find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/debconf/*-old \
    "$root"/var/lib/dpkg/*-old "$root"/tmp/* "$root"/var/tmp/*
find "$root/var/log" -type f -delete
: >"$root/etc/resolv.conf"
: >"$root/etc/hostname"
: >"$root/etc/machine-id"

tar --numeric-owner --xattrs -C "$root" -cf "$out.tmp" .
mv "$out.tmp" "$out"
