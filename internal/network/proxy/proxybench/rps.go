package proxybench

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// RPSResult compares the request rate through the cluster IP with the rate straight to the
// pod, from the node namespace.
type RPSResult struct {
	KeepAlive         bool          // requests over kept-alive connections; else one connection each
	Workers           int           // concurrent clients
	Duration          time.Duration // spent on each of the two targets
	Direct, ClusterIP float64       // requests per second
	Failed            int           // requests that failed (either target)
}

// Ratio is the cluster IP's rate as a fraction of the direct rate.
func (r RPSResult) Ratio() float64 {
	if r.Direct == 0 {
		return 0
	}
	return r.ClusterIP / r.Direct
}

// measureRPS runs workers clients against pod a, alternately straight to its IP and through
// the rps service's cluster IP, in rounds slices of each (so that a neighbour's load on the
// machine falls on both alike), for total time per target.
func measureRPS(ctx context.Context, topo *topology, keepAlive bool, workers, rounds int, total time.Duration) (RPSResult, error) {
	res := RPSResult{KeepAlive: keepAlive, Workers: workers, Duration: total}
	direct := fmt.Sprintf("%s:%d", podA, backendPort)
	viaService := fmt.Sprintf("%s:%d", rpsIP, servicePort)
	slice := total / time.Duration(rounds)
	var nDirect, nService int64
	var dDirect, dService time.Duration
	for range rounds {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		for _, target := range []struct {
			addr string
			n    *int64
			d    *time.Duration
		}{{direct, &nDirect, &dDirect}, {viaService, &nService, &dService}} {
			n, failed, took, err := load(topo, target.addr, keepAlive, workers, slice)
			if err != nil {
				return res, err
			}
			*target.n += n
			*target.d += took
			res.Failed += failed
		}
	}
	res.Direct = float64(nDirect) / dDirect.Seconds()
	res.ClusterIP = float64(nService) / dService.Seconds()
	return res, nil
}

// load runs workers clients in the node namespace against addr for d and returns the
// requests answered by pod a, the failures, and the time the run took.
func load(topo *topology, addr string, keepAlive bool, workers int, d time.Duration) (int64, int, time.Duration, error) {
	var ok, failed atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	begin := time.Now()
	deadline := begin.Add(d)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- inNetns(topo.node, func() error {
				dialer := &net.Dialer{Timeout: 2 * time.Second}
				var c net.Conn
				var br *bufio.Reader
				defer func() {
					if c != nil {
						c.Close()
					}
				}()
				for time.Now().Before(deadline) {
					var got string
					var err error
					if keepAlive {
						if c == nil {
							if c, err = dialer.Dial("tcp", addr); err != nil {
								failed.Add(1)
								c = nil
								continue
							}
							br = bufio.NewReader(c)
						}
						if got, err = request(c, br, false); err != nil {
							c.Close()
							c = nil
						}
					} else {
						got, err = once(dialer, addr)
					}
					if err != nil || got != "a" {
						failed.Add(1)
						continue
					}
					ok.Add(1)
				}
				return nil
			})
		}()
	}
	wg.Wait()
	took := time.Since(begin)
	close(errs)
	for err := range errs {
		if err != nil {
			return 0, 0, 0, err
		}
	}
	return ok.Load(), int(failed.Load()), took, nil
}
