package process

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
)

// Reset removes what this runtime made for its data dir: every pod's containers (killed
// without grace), network namespace, mounts and files; then, on the host, the bridge, the
// routes of the pod and service ranges and the nftables table `inet ordinal`. It is for
// `ordinal reset`, after the node's agent has stopped: a stopped agent leaves its pods
// running on purpose (a restart finds them again).
func (r *Runtime) Reset(ctx context.Context) error {
	pods, err := r.ListPods(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, p := range pods {
		if err := r.RemovePodSandbox(ctx, p.UID); err != nil {
			errs = append(errs, fmt.Errorf("pod %s/%s: %w", p.Namespace, p.Name, err))
		}
	}
	steps := [][]string{
		{"ip", "link", "del", r.opts.Bridge},
		{"ip", "route", "del", r.opts.PodRange},
		{"ip", "route", "del", r.opts.ServiceRange},
		{"nft", "delete", "table", "inet", "ordinal"},
	}
	for _, args := range steps {
		if err := runIfPresent(ctx, args...); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// runIfPresent runs a removal command; that the thing is not there is no error.
func runIfPresent(ctx context.Context, args ...string) error {
	out, err := exec.CommandContext(ctx, args[0], args[1:]...).CombinedOutput()
	if err == nil {
		return nil
	}
	msg := string(bytes.TrimSpace(out))
	for _, absent := range []string{"Cannot find device", "No such process", "No such file or directory"} {
		if strings.Contains(msg, absent) {
			return nil
		}
	}
	return fmt.Errorf("%s: %v: %s", strings.Join(args, " "), err, msg)
}
