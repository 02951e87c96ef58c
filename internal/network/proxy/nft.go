package proxy

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
)

// loadScript runs `nft -f -` with the script on stdin: one netlink transaction, so the
// table is replaced whole or not at all.
func loadScript(ctx context.Context, nft, script string) error {
	cmd := exec.CommandContext(ctx, nft, "-f", "-")
	cmd.Stdin = strings.NewReader(script)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("proxy: nft -f: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return nil
}
