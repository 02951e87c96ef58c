# shellcheck shell=bash disable=SC2034 # variables for build.sh, which sources this file
# Stand-in for nginx:1.7.9 and k8s.gcr.io/nginx-slim:0.8 (seed 002): Debian's nginx-light
# laid out as the official image is: /etc/nginx/conf.d/default.conf serves
# /usr/share/nginx/html on port 80, logs go to stdout and stderr, nginx runs in the
# foreground.
KIND=debian
TAGS=(nginx:1.7.9 k8s.gcr.io/nginx-slim:0.8)
PACKAGES=(nginx-light)
CMD='["nginx","-g","daemon off;"]'
EXPOSE=(80/tcp)
DESCRIPTION="ordinal stand-in for nginx, built from Debian's nginx-light by examples/images/build.sh"

customize() {
  # Debian's site configuration is replaced by conf.d/default.conf.
  rm -rf "$ROOTFS"/etc/nginx/sites-enabled "$ROOTFS"/etc/nginx/sites-available "$ROOTFS"/var/www/html
  ln -sf /dev/stdout "$ROOTFS/var/log/nginx/access.log"
  ln -sf /dev/stderr "$ROOTFS/var/log/nginx/error.log"
}
