// Command ordinal is a Kubernetes-compatible orchestrator for stateful workloads in one binary:
// `ordinal up` runs a whole single-machine cluster, `ordinal server` the control plane on an
// etcd cluster.
package main

import (
	"fmt"
	"log/slog"
	"os"

	"github.com/spf13/cobra"
	"k8s.io/klog/v2"

	"ordinal.dev/ordinal/internal/runtime/process/shim"
)

func main() {
	// Containers run under a shim; where the separate ordinal-shim binary is not installed
	// next to ordinal, the runtime starts `ordinal shim <container-dir>` instead.
	if len(os.Args) > 1 && os.Args[1] == "shim" {
		os.Exit(shim.Main(os.Args[2:]))
	}
	// client-go's own components (leader election, informers) log through klog; send that to
	// the same place as ordinal's logs.
	klog.SetSlogLogger(slog.Default())
	root := &cobra.Command{
		Use:           "ordinal",
		Short:         "A Kubernetes-compatible orchestrator for stateful workloads",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(upCommand(), serverCommand(), agentCommand(), kubeconfigCommand(), imageCommand(), resetCommand(), versionCommand())
	root.AddCommand(tokenCommand())
	if err := root.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "ordinal:", err)
		os.Exit(1)
	}
}
