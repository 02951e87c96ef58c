// Command ordinal-shim is the process runtime's per-container shim as a binary of its own
// (package shim): it imports little, so each running container costs a few MiB instead of
// a whole ordinal process. The runtime looks for it beside the ordinal binary and falls
// back to `ordinal shim`.
package main

import (
	"os"

	"ordinal.dev/ordinal/internal/runtime/process/shim"
)

func main() { os.Exit(shim.Main(os.Args[1:])) }
