// Command busybox-image writes a docker-save archive of a busybox image built from
// Debian's busybox-static (apt-get install busybox-static), for `ordinal image import`:
//
//	go run ./hack/busybox-image -o bin/busybox.tar
//	ordinal image import bin/busybox.tar
package main

import (
	"flag"
	"fmt"
	"os"

	"ordinal.dev/ordinal/internal/image/busybox"
)

func main() {
	out := flag.String("o", "busybox.tar", "archive to write")
	binary := flag.String("busybox", busybox.Binary, "statically linked busybox binary")
	ref := flag.String("name", busybox.Ref, "reference the image is tagged with")
	flag.Parse()
	if err := busybox.WriteArchive(*out, *binary, *ref); err != nil {
		fmt.Fprintln(os.Stderr, "busybox-image:", err)
		os.Exit(1)
	}
}
