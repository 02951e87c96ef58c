package main

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"

	"ordinal.dev/ordinal/internal/apiserver"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print ordinal's version and the Kubernetes API level it serves",
		Args:  cobra.NoArgs,
		Run: func(*cobra.Command, []string) {
			fmt.Printf("ordinal %s (Kubernetes API %s, %s %s/%s)\n", version, apiserver.Version.GitVersion, runtime.Version(), runtime.GOOS, runtime.GOARCH)
		},
	}
}
