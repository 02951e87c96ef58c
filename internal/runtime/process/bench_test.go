package process

import (
	"fmt"
	"sort"
	"testing"
	"time"

	"ordinal.dev/ordinal/internal/runtime"
)

// BenchmarkPodStart measures a busybox pod from nothing to a running container: sandbox
// (network namespace, CNI), image check, create (overlay, bundle) and start (shim, runc).
// It reports the median and 99th percentile; the goal is 50 ms and 200 ms.
func BenchmarkPodStart(b *testing.B) {
	f := newFixture(b)
	var took []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		pod := testPod(fmt.Sprintf("bench-%d", i), sh("main", "exec sleep 1000"))
		start := time.Now()
		if err := f.rt.RunPodSandbox(f.ctx, &runtime.SandboxConfig{Pod: pod}); err != nil {
			b.Fatal(err)
		}
		f.start(pod, 0, 0)
		took = append(took, time.Since(start))
		if i%50 == 49 { // stay within the /24
			b.StopTimer()
			pods, _ := f.rt.ListPods(f.ctx)
			for _, p := range pods {
				_ = f.rt.RemovePodSandbox(f.ctx, p.UID)
			}
			b.StartTimer()
		}
	}
	b.StopTimer()
	sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
	b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(took[(len(took)*99)/100].Microseconds())/1000, "p99-ms")
}
