# shellcheck shell=bash disable=SC2034 # variables for build.sh, which sources this file
# Stand-in for mysql:5.7 (seed 001's MySQL replication): MariaDB 10.11 from Debian's
# mariadb-server-core and mariadb-client, with an entrypoint that behaves like the
# official image's for what the examples use (see rootfs/usr/local/bin/docker-entrypoint.sh).
# The server-core package, not mariadb-server, because the rest of mariadb-server
# (galera, perl tools, rsync, socat) doubles the image and serves no example.
KIND=debian
TAGS=(mysql:5.7)
PACKAGES=(mariadb-server-core mariadb-client)
ENTRYPOINT='["docker-entrypoint.sh"]'
CMD='["mysqld"]'
EXPOSE=(3306/tcp)
DESCRIPTION="ordinal stand-in for mysql:5.7: MariaDB from Debian's packages, built by examples/images/build.sh"

customize() {
  # The official image's mysql user and group (999), which mysqld runs as.
  in_chroot "$ROOTFS" groupadd --system --gid 999 mysql
  in_chroot "$ROOTFS" useradd --system --uid 999 --gid mysql --home-dir /var/lib/mysql \
    --no-create-home --shell /usr/sbin/nologin mysql
  mkdir -p "$ROOTFS/var/lib/mysql" "$ROOTFS/run/mysqld" "$ROOTFS/docker-entrypoint-initdb.d"
  chown 999:999 "$ROOTFS/var/lib/mysql" "$ROOTFS/run/mysqld"
  chmod 755 "$ROOTFS/usr/local/bin/docker-entrypoint.sh"
}
