package proxybench

import (
	"context"
	"fmt"
	"net"
	"time"
)

// prober opens connections from the node namespace, the way a host process would, on a
// goroutine of its own locked there (so that the caller can talk to an apiserver on the
// host's loopback meanwhile).
type prober struct {
	reqs chan probeReq
	done <-chan error
}

type probeReq struct {
	ctx        context.Context
	addr, want string
	within     time.Duration
	reply      chan probeResult
}

type probeResult struct {
	start, at      time.Time // when probing began, and when the first answer from want arrived
	probes, errors int       // connections made, and how many of them failed
	err            error
}

// probeGap is the pause between two probes. Probing back to back would resolve the
// dataplane clock to about 0.1 ms but take most of a core from the proxier and nft on a
// 2-core machine; with the pause a probe starts about every 1.2 ms (the report gives the
// mean) and the probes cost little.
const probeGap = time.Millisecond

// startProber starts the prober's goroutine and returns once it is in the node namespace.
func startProber(topo *topology) (*prober, error) {
	p := &prober{reqs: make(chan probeReq)}
	inside := make(chan struct{})
	p.done = goNetns(topo.node, func() error {
		close(inside)
		d := &net.Dialer{Timeout: time.Second}
		for r := range p.reqs {
			r.reply <- probeUntil(d, r)
		}
		return nil
	})
	select {
	case <-inside:
		return p, nil
	case err := <-p.done:
		return nil, fmt.Errorf("prober: %w", err)
	}
}

// until makes new connections to addr, one request each and probeGap apart, until one is
// answered by want; it returns when that answer arrived. Connections that fail are
// counted, not fatal: a rule swap must not break any, and the report says if one did.
func (p *prober) until(ctx context.Context, addr, want string, within time.Duration) probeResult {
	r := probeReq{ctx: ctx, addr: addr, want: want, within: within, reply: make(chan probeResult, 1)}
	p.reqs <- r
	return <-r.reply
}

func probeUntil(d *net.Dialer, r probeReq) probeResult {
	res := probeResult{start: time.Now()}
	deadline := res.start.Add(r.within)
	var last string
	var lastErr error
	for time.Now().Before(deadline) {
		if err := r.ctx.Err(); err != nil {
			res.err = err
			return res
		}
		res.probes++
		got, err := once(d, r.addr)
		if err != nil {
			res.errors++
			lastErr = err
			time.Sleep(time.Millisecond) // a refusal comes back at once: do not spin on it
			continue
		}
		if got == r.want {
			res.at = time.Now()
			return res
		}
		last = got
		time.Sleep(probeGap)
	}
	res.err = fmt.Errorf("%s was not answered by %s within %v (last answer %q, last error %v)", r.addr, r.want, r.within, last, lastErr)
	return res
}

func (p *prober) close() {
	close(p.reqs)
	<-p.done
}
