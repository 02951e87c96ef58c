package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"time"

	"ordinal.dev/ordinal/internal/network/proxy/proxybench"
)

// serviceProxy measures the service proxy on the real dataplane (package proxybench: network
// namespaces of its own, nftables, a control plane in this process). It needs root; without
// it the section says so and the other sections stand.
func serviceProxy() {
	fmt.Printf("## Service proxy (%s)\n\n", time.Now().UTC().Format("2006-01-02"))
	// An interrupt cancels the run, so that its namespaces are still removed.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := proxybench.Run(ctx, proxybench.Config{APIServer: true, Progress: os.Stderr})
	if errors.Is(err, proxybench.ErrNotRoot) {
		fmt.Printf("Skipped: %v. Run `sudo make bench`, or `sudo go run ./test/bench`.\n\n", err)
		return
	}
	check(err)
	cfg := rep.Config
	fmt.Printf("Machine: %s, %d cores, %s; kernel %s, %s; %s. The proxier's MinSyncPeriod is %s.\n\n", hostDescription(), runtime.NumCPU(), memTotal(),
		kernelRelease(), nftVersion(), runtime.Version(), msf(rep.MinSyncPeriod))
	fmt.Println("| measurement | result | goal |")
	fmt.Println("|---|---|---|")
	scale := fmt.Sprintf("%s services × %d endpoints", thousands(cfg.ScaleServices), cfg.ScaleEndpoints)
	changes := []struct {
		what string
		res  proxybench.ChangeResult
	}{
		{fmt.Sprintf("%d single changes, fake clientset", cfg.Changes), rep.Single},
		{fmt.Sprintf("%d single changes through a real apiserver (write → etcd → watch → informer → nft)", cfg.Changes), derefChanges(rep.APIServer)},
		{fmt.Sprintf("%d changes, each %s after the previous load, fake clientset", cfg.Changes, msf(rep.InPeriodGap)), rep.InPeriod},
		{fmt.Sprintf("%d single changes, %s loaded, fake clientset", cfg.Changes, scale), rep.AtScale},
	}
	for _, c := range changes {
		if c.res.Traffic.N == 0 {
			continue
		}
		fmt.Printf("| EndpointSlice write → a new connection to the cluster IP reaches the new pod: %s | p50 %s, p99 %s | report |\n",
			c.what, msf(c.res.Traffic.P50), msf(c.res.Traffic.P99))
		fmt.Printf("| EndpointSlice write → the proxier reports the rules loaded (`nft -f` exited): %s | p50 %s, p99 %s | report |\n",
			c.what, msf(c.res.Loaded.P50), msf(c.res.Loaded.P99))
	}
	fmt.Printf("| proxier start to first rules loaded, %s | %s | report |\n", scale, msf(rep.FirstLoadAtScale))
	l := rep.FullLoad
	fmt.Printf("| one full load, %s (%.1f MB script): render / `nft -f` of a new table / `nft -f` replacing the table, medians | %s / %s / %s | report |\n",
		scale, float64(l.ScriptBytes)/1e6, msf(l.Render), msf(l.LoadNew), msf(l.LoadReplace))
	for _, r := range []struct {
		what string
		res  proxybench.RPSResult
	}{
		{"new connection per request", rep.NewConns},
		{"kept-alive connections", rep.KeepAlive},
		{"new connection per request, " + scale + " loaded", rep.NewConnsAtScale},
	} {
		fmt.Printf("| HTTP requests/s from the node, %s, %d clients, %.0f s per target: cluster IP / pod IP | %s / %s (ratio %.2f) | report |\n",
			r.what, r.res.Workers, r.res.Duration.Seconds(), thousands(int(r.res.ClusterIP)), thousands(int(r.res.Direct)), r.res.Ratio())
	}
	failedProbes, failedRequests := 0, 0
	var probeEvery time.Duration
	for _, c := range changes {
		failedProbes += c.res.FailedProbes
		probeEvery = max(probeEvery, c.res.ProbeEvery)
	}
	for _, r := range []proxybench.RPSResult{rep.NewConns, rep.KeepAlive, rep.NewConnsAtScale} {
		failedRequests += r.Failed
	}
	fmt.Printf("\nProbe connections at most %s apart on average; probe connections that failed while rules changed: %d; failed requests: %d.\n\n",
		msf(probeEvery), failedProbes, failedRequests)
}

func derefChanges(r *proxybench.ChangeResult) proxybench.ChangeResult {
	if r == nil {
		return proxybench.ChangeResult{}
	}
	return *r
}

// msf is a duration in milliseconds, with a decimal below 10 ms.
func msf(d time.Duration) string {
	v := float64(d.Microseconds()) / 1000
	if v < 10 {
		return fmt.Sprintf("%.1f ms", v)
	}
	return fmt.Sprintf("%.0f ms", v)
}

// thousands writes n with a comma between thousands, as the docs do.
func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func kernelRelease() string {
	b, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(b))
}

func nftVersion() string {
	out, err := exec.Command("nft", "--version").Output()
	if err != nil {
		return "nft unknown"
	}
	return strings.TrimSpace(string(out))
}
