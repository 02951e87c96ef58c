package proxybench

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"time"

	"ordinal.dev/ordinal/internal/network/proxy"
)

// LoadResult is the cost of one full rule load at scale.
type LoadResult struct {
	Services, Endpoints int // endpoints per service
	ScriptBytes         int
	Render              time.Duration // proxy.Render, median
	LoadNew             time.Duration // `nft -f` of the script when the table does not exist
	LoadReplace         time.Duration // `nft -f` replacing the table (what a full sync does), median
}

// measureFullLoad renders n services × m endpoints and loads the script with `nft -f` into
// a table of its own in the node namespace, runs times over; the table is deleted after.
func measureFullLoad(ctx context.Context, topo *topology, n, m, runs int) (LoadResult, error) {
	res := LoadResult{Services: n, Endpoints: m}
	svcs, slices := scaleObjects(n, m)
	table := fmt.Sprintf("ordinal-proxy-scale-%d", os.Getpid())
	opts := proxy.Options{NodeName: "bench", Table: table}
	var renders, replaces []time.Duration
	var script string
	for range runs {
		begin := time.Now()
		script = proxy.Render(svcs, slices, opts)
		renders = append(renders, time.Since(begin))
	}
	res.ScriptBytes = len(script)
	defer nft(ctx, topo, proxy.DeleteScript(table))
	for i := range runs + 1 {
		d, err := nft(ctx, topo, script)
		if err != nil {
			return res, err
		}
		if i == 0 {
			res.LoadNew = d
		} else {
			replaces = append(replaces, d)
		}
	}
	res.Render, res.LoadReplace = median(renders), median(replaces)
	return res, nil
}

// nft runs `nft -f -` with script in the node namespace and returns how long it took.
func nft(ctx context.Context, topo *topology, script string) (time.Duration, error) {
	var took time.Duration
	err := inNetns(topo.node, func() error {
		cmd := exec.CommandContext(ctx, "nft", "-f", "-")
		cmd.Stdin = strings.NewReader(script)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		begin := time.Now()
		err := cmd.Run()
		took = time.Since(begin)
		if err != nil {
			return fmt.Errorf("nft -f: %w: %s", err, strings.TrimSpace(stderr.String()))
		}
		return nil
	})
	return took, err
}

func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}
