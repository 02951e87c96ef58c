package proxybench

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	discovery "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// Latencies summarises a series of durations. With 50 samples the p99 is the largest.
type Latencies struct {
	N             int
	P50, P99, Max time.Duration
}

func summarise(d []time.Duration) Latencies {
	if len(d) == 0 {
		return Latencies{}
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	p99 := (len(s)*99+99)/100 - 1 // nearest rank
	return Latencies{N: len(s), P50: s[len(s)/2], P99: s[p99], Max: s[len(s)-1]}
}

// ChangeResult is one series of endpoint changes, each timed from just before the
// EndpointSlice write.
type ChangeResult struct {
	// Loaded ends when the proxier reports the new rules loaded (`nft -f` has returned).
	Loaded Latencies
	// Traffic ends when a new connection to the cluster IP is first answered by the new
	// pod: the dataplane's own view.
	Traffic Latencies
	// ProbeEvery is the mean time between two probe connections: the resolution of the
	// Traffic clock.
	ProbeEvery time.Duration
	// FailedProbes counts probe connections that failed; a rule swap should break none.
	FailedProbes int
}

// flipper moves the flip service between pod a and pod b by writing its EndpointSlice.
type flipper struct {
	client kubernetes.Interface
	slice  *discovery.EndpointSlice // as last written
	on     string                   // the pod IP traffic goes to
	step   int
}

func newFlipper(ctx context.Context, client kubernetes.Interface) (*flipper, error) {
	s, err := client.DiscoveryV1().EndpointSlices(namespace).Create(ctx, flipSlice(1, podA), metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("creating the flip service's slice: %w", err)
	}
	return &flipper{client: client, slice: s, on: podA}, nil
}

// flip writes the slice that moves traffic to the other pod and returns that pod's IP.
func (f *flipper) flip(ctx context.Context) (string, error) {
	to := podA
	if f.on == podA {
		to = podB
	}
	s := flipSlice(f.step, to)
	s.ResourceVersion = f.slice.ResourceVersion
	got, err := f.client.DiscoveryV1().EndpointSlices(namespace).Update(ctx, s, metav1.UpdateOptions{})
	if err != nil {
		return "", fmt.Errorf("updating the flip service's slice: %w", err)
	}
	f.slice, f.on = got, to
	f.step++
	return to, nil
}

// measureChanges makes n changes, each gap after the rules for the previous one were loaded.
// A gap longer than MinSyncPeriod times single changes; a shorter one shows the wait that
// MinSyncPeriod imposes on a change that follows a load closely.
func measureChanges(ctx context.Context, rp *runningProxy, pr *prober, f *flipper, n int, gap time.Duration) (ChangeResult, error) {
	var res ChangeResult
	addr := fmt.Sprintf("%s:%d", flipIP, servicePort)
	// Start from a known state: the probe reaches the pod the slice names.
	if r := pr.until(ctx, addr, podName(f.on), 30*time.Second); r.err != nil {
		return res, r.err
	}
	var loaded, traffic []time.Duration
	var probes int
	var probing time.Duration
	for range n {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		last, _ := rp.LastSync()
		if wait := gap - time.Since(last); wait > 0 {
			time.Sleep(wait) // pacing, not synchronisation: the gap is what is measured
		}
		begin := time.Now()
		to, err := f.flip(ctx)
		if err != nil {
			return res, err
		}
		hit := pr.until(ctx, addr, podName(to), 30*time.Second)
		if hit.err != nil {
			return res, hit.err
		}
		at, err := rp.waitSync(begin, func(script string) bool { return strings.Contains(script, "dnat to "+to+":") }, 30*time.Second)
		if err != nil {
			return res, fmt.Errorf("rules sending the flip service to %s: %w", to, err)
		}
		loaded = append(loaded, at.Sub(begin))
		traffic = append(traffic, hit.at.Sub(begin))
		probes += hit.probes
		probing += hit.at.Sub(hit.start)
		res.FailedProbes += hit.errors
	}
	res.Loaded, res.Traffic = summarise(loaded), summarise(traffic)
	if probes > 0 {
		res.ProbeEvery = probing / time.Duration(probes)
	}
	return res, nil
}

// podName is the name the backend at ip answers with.
func podName(ip string) string {
	if ip == podA {
		return "a"
	}
	return "b"
}
