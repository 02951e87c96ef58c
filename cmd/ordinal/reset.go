package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"ordinal.dev/ordinal/internal/controlplane"
	"ordinal.dev/ordinal/internal/network/proxy"
	"ordinal.dev/ordinal/internal/runtime/process"
)

type resetOptions struct {
	dataDir    string
	clusterDNS string
	removeData bool
}

func resetCommand() *cobra.Command {
	o := &resetOptions{}
	cmd := &cobra.Command{
		Use:   "reset",
		Short: "Stop this machine's pods and remove what ordinal set up on the host",
		Long: `Stops every container the node of DATA_DIR runs and removes the pods' network
namespaces, mounts and files, then ordinal's host networking: the bridge ordinal0, the
routes of the pod and service ranges, the nftables tables of the runtime and the service
proxy, and the cluster DNS address on lo. Stopping ordinal leaves pods running on purpose
(a restart finds them again); reset is for when the cluster should be gone.
Refused while an ordinal process uses DATA_DIR. With --remove-data the data dir (etcd data,
images, volumes) is deleted too.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return reset(cmd.Context(), o)
		},
	}
	cmd.Flags().StringVar(&o.dataDir, "data-dir", defaultDataDir(), "the cluster's data dir")
	cmd.Flags().StringVar(&o.clusterDNS, "cluster-dns", controlplane.DefaultClusterDNS, "the cluster DNS address to remove from lo")
	cmd.Flags().BoolVar(&o.removeData, "remove-data", false, "also delete the data dir")
	return cmd
}

func reset(ctx context.Context, o *resetOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if _, err := os.Stat(o.dataDir); err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	release, err := lockDataDir(o.dataDir)
	if err != nil {
		return err
	}
	defer release()
	var errs []error
	if _, err := os.Stat(filepath.Join(o.dataDir, "pods")); err == nil {
		rt, err := process.New(process.Options{DataDir: o.dataDir})
		if err != nil {
			return err
		}
		if err := rt.Reset(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if err := removeHostState(o.clusterDNS); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if o.removeData {
		if m := mountsUnder(o.dataDir); len(m) > 0 {
			return fmt.Errorf("not removing %s: still mounted: %s", o.dataDir, strings.Join(m, ", "))
		}
		release()
		return os.RemoveAll(o.dataDir)
	}
	return nil
}

// removeHostState removes the service proxy's nftables table and the cluster DNS address.
func removeHostState(clusterDNS string) error {
	var errs []error
	if out, err := exec.Command("nft", "delete", "table", "ip", proxy.TableName).CombinedOutput(); err != nil && !strings.Contains(string(out), "No such file or directory") {
		errs = append(errs, fmt.Errorf("nft delete table ip %s: %v: %s", proxy.TableName, err, strings.TrimSpace(string(out))))
	}
	if ip := net.ParseIP(clusterDNS); ip != nil {
		if out, err := exec.Command("ip", "addr", "del", clusterDNS+"/32", "dev", "lo").CombinedOutput(); err != nil && !strings.Contains(string(out), "Cannot assign requested address") && !strings.Contains(string(out), "Address not found") {
			errs = append(errs, fmt.Errorf("ip addr del %s/32 dev lo: %v: %s", clusterDNS, err, strings.TrimSpace(string(out))))
		}
	}
	return errors.Join(errs...)
}

// mountsUnder lists the mount points at or below dir.
func mountsUnder(dir string) []string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil
	}
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) > 4 && (f[4] == abs || strings.HasPrefix(f[4], abs+"/")) {
			out = append(out, f[4])
		}
	}
	return out
}
