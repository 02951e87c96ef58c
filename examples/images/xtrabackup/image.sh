# shellcheck shell=bash disable=SC2034 # variables for build.sh, which sources this file
# Stand-in for gcr.io/google-samples/xtrabackup:1.0 (seed 001's MySQL replication): bash,
# ncat, the mysql client and MariaDB's backup tool, which is Percona XtraBackup's fork
# and takes the same options. xtrabackup and xbstream are symlinks to mariabackup and
# mbstream.
KIND=debian
TAGS=(gcr.io/google-samples/xtrabackup:1.0)
PACKAGES=(mariadb-backup mariadb-client-core ncat)
CMD='["/bin/bash"]'
DESCRIPTION="ordinal stand-in for xtrabackup, built from Debian's mariadb-backup by examples/images/build.sh"

customize() {
  ln -s /usr/bin/mariabackup "$ROOTFS/usr/local/bin/xtrabackup"
  ln -s /usr/bin/mbstream "$ROOTFS/usr/local/bin/xbstream"
}
