package dns

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	mdns "github.com/miekg/dns"
	v1 "k8s.io/api/core/v1"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
)

// benchCluster is a StatefulSet of 100 pods behind a headless Service, plus 200 other
// Services, so that lookups run against maps of realistic size.
func benchCluster() []k8sruntime.Object {
	objs := bigHeadless(100)
	for i := range 200 {
		objs = append(objs, svcObject("default", fmt.Sprintf("svc-%d", i), fmt.Sprintf("10.43.1.%d", i+1), svcPort("http", 80, v1.ProtocolTCP)))
	}
	return objs
}

// BenchmarkPodFQDN measures queries per second for a pod FQDN over UDP on loopback, with
// as many concurrent clients as there are CPUs times 8 (each one query at a time, as stub
// resolvers are). The figure is reported as queries/s.
func BenchmarkPodFQDN(b *testing.B) {
	s, _ := newTestServer(b, benchCluster()...)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addrs, err := s.Start(ctx, "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	qps := runQueries(b, addrs[0], "web-42.big.default.svc.cluster.local.", b.N, 8*runtime.GOMAXPROCS(0))
	b.ReportMetric(qps, "queries/s")
}

// runQueries sends n A queries for name from workers concurrent clients and returns the
// rate achieved. Every answer is checked.
func runQueries(tb testing.TB, addr, name string, n, workers int) float64 {
	var next atomic.Int64
	var failed atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := mdns.Dial("udp", addr)
			if err != nil {
				failed.Add(1)
				return
			}
			defer conn.Close()
			m := new(mdns.Msg)
			m.SetQuestion(name, mdns.TypeA)
			for next.Add(1) <= int64(n) {
				m.Id = mdns.Id()
				conn.SetDeadline(time.Now().Add(2 * time.Second))
				if err := conn.WriteMsg(m); err != nil {
					failed.Add(1)
					continue
				}
				r, err := conn.ReadMsg()
				if err != nil || r.Rcode != mdns.RcodeSuccess || len(r.Answer) != 1 {
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if f := failed.Load(); f > 0 {
		tb.Errorf("%d of %d queries failed", f, n)
	}
	return float64(n) / elapsed.Seconds()
}

// TestQueryRate prints the query rate for a pod FQDN (go test -run TestQueryRate -v); it
// asserts nothing about speed, which belongs to make bench.
func TestQueryRate(t *testing.T) {
	if testing.Short() {
		t.Skip("measurement")
	}
	s, _ := newTestServer(t, benchCluster()...)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addrs, err := s.Start(ctx, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	qps := runQueries(t, addrs[0], "web-42.big.default.svc.cluster.local.", 50000, 8*runtime.GOMAXPROCS(0))
	t.Logf("pod FQDN over UDP: %.0f queries/s with GOMAXPROCS=%d", qps, runtime.GOMAXPROCS(0))
}
