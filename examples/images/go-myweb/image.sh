# shellcheck shell=bash disable=SC2034 # variables for build.sh, which sources this file
# Stand-in for ghcr.io/c1t1d0s7/go-myweb (seed 001): main.go here, on a busybox base.
KIND=go
TAGS=(ghcr.io/c1t1d0s7/go-myweb:v1.0 ghcr.io/c1t1d0s7/go-myweb:v2.0 ghcr.io/c1t1d0s7/go-myweb:v3.0 ghcr.io/c1t1d0s7/go-myweb:alpine)
# Each tag is its own image whose MYWEB_VERSION is the tag, so pages show the version.
TAG_ENV=MYWEB_VERSION
ENTRYPOINT='["/usr/local/bin/go-myweb"]'
EXPOSE=(8080/tcp)
DESCRIPTION="ordinal stand-in for ghcr.io/c1t1d0s7/go-myweb, built from examples/images/go-myweb"
