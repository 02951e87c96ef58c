# shellcheck shell=bash disable=SC2034 # variables for build.sh, which sources this file
# Stand-in for ghcr.io/c1t1d0s7/network-multitool (seed 001): a shell with DNS, HTTP,
# MySQL and network tools from Debian's packages. The mysql client comes from
# mariadb-client-core (the mysql/mariadb command without the other client programs).
KIND=debian
TAGS=(ghcr.io/c1t1d0s7/network-multitool:latest)
PACKAGES=(bind9-dnsutils curl wget mariadb-client-core ncat iproute2 iputils-ping procps)
CMD='["/bin/bash"]'
DESCRIPTION="ordinal stand-in for network-multitool, built from Debian packages by examples/images/build.sh"
