package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
)

func kubeconfigCommand() *cobra.Command {
	var dataDir string
	cmd := &cobra.Command{
		Use:   "kubeconfig",
		Short: "Print the path of the admin kubeconfig",
		Long:  "Print the path of the admin kubeconfig, for example: export KUBECONFIG=$(ordinal kubeconfig)",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			path := filepath.Join(dataDir, "kubeconfig")
			if _, err := os.Stat(path); err != nil {
				return fmt.Errorf("no kubeconfig at %s: has `ordinal up --data-dir %s` run? (%w)", path, dataDir, err)
			}
			fmt.Println(path)
			return nil
		},
	}
	cmd.Flags().StringVar(&dataDir, "data-dir", defaultDataDir(), "directory for the cluster's state")
	return cmd
}
