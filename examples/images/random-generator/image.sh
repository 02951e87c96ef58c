# shellcheck shell=bash disable=SC2034 # variables for build.sh, which sources this file
# Stand-in for k8spatterns/random-generator (seed 000, the Kubernetes Patterns book):
# main.go here, on a busybox base.
KIND=go
TAGS=(k8spatterns/random-generator:1.0 k8spatterns/random-generator:2.0)
TAG_ENV=VERSION
ENTRYPOINT='["/usr/local/bin/random-generator"]'
EXPOSE=(8080/tcp)
DESCRIPTION="ordinal stand-in for k8spatterns/random-generator, built from examples/images/random-generator"
