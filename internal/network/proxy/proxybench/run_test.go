package proxybench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// needRoot skips without root, except in CI where a missing privilege must fail loudly.
func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() == 0 {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("this test needs root (network namespaces and nftables)")
	}
	t.Skip("needs root")
}

// TestRunSmall runs every measurement at a small size and checks that each produced
// figures, that no probe or request failed, and that nothing was left behind.
func TestRunSmall(t *testing.T) {
	needRoot(t)
	if testing.Short() {
		t.Skip("starts a control plane and loads traffic for several seconds")
	}
	var progress strings.Builder
	rep, err := Run(context.Background(), Config{
		Changes: 6, ScaleServices: 50, ScaleEndpoints: 3, RPSTime: 500 * time.Millisecond, RPSWorkers: 2,
		APIServer: true, Progress: &progress,
	})
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, progress.String())
	}
	for name, c := range map[string]ChangeResult{"single": rep.Single, "in period": rep.InPeriod, "at scale": rep.AtScale, "apiserver": *rep.APIServer} {
		if c.Loaded.N != 6 || c.Traffic.N != 6 {
			t.Errorf("%s: %d and %d samples, want 6", name, c.Loaded.N, c.Traffic.N)
		}
		if c.Traffic.P50 <= 0 || c.Loaded.P50 <= 0 || c.ProbeEvery <= 0 {
			t.Errorf("%s: empty figures %+v", name, c)
		}
		if c.FailedProbes != 0 {
			t.Errorf("%s: %d probe connections failed while the rules changed", name, c.FailedProbes)
		}
	}
	// A change 20 ms after a load waits out the rest of MinSyncPeriod; a single one does not.
	if rep.InPeriod.Loaded.P50 <= rep.Single.Loaded.P50 {
		t.Errorf("changes within MinSyncPeriod loaded after %v, no later than single changes (%v)", rep.InPeriod.Loaded.P50, rep.Single.Loaded.P50)
	}
	if rep.FirstLoadAtScale <= 0 {
		t.Errorf("no time for the first load at scale")
	}
	for name, r := range map[string]RPSResult{"new": rep.NewConns, "keep-alive": rep.KeepAlive, "new at scale": rep.NewConnsAtScale} {
		if r.Direct <= 0 || r.ClusterIP <= 0 || r.Failed != 0 {
			t.Errorf("%s connections: %+v", name, r)
		}
	}
	if l := rep.FullLoad; l.LoadNew <= 0 || l.LoadReplace <= 0 || l.ScriptBytes == 0 {
		t.Errorf("full load: %+v", l)
	}
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		t.Fatal(err)
	}
	if prefix := fmt.Sprintf("ordpb-%d-", os.Getpid()); strings.Contains(string(out), prefix) {
		t.Errorf("namespaces left behind:\n%s", out)
	}
}
