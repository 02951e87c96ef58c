package dns

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	mdns "github.com/miekg/dns"
)

// errNoUpstream means no upstream answered (or none is configured).
var errNoUpstream = errors.New("dns: no upstream resolver answered")

// maxCacheTTL caps how long a forwarded answer is kept, whatever its TTL says.
const maxCacheTTL = 300 * time.Second

// forwarder sends names outside the cluster to the host's resolvers and keeps their
// answers for their TTL in a small cache.
type forwarder struct {
	upstreams []string
	udp, tcp  *mdns.Client
	cacheSize int

	mu    sync.Mutex
	cache map[forwardKey]forwardEntry
	now   func() time.Time
}

type forwardKey struct {
	name   string // lower case
	qtype  uint16
	qclass uint16
	do     bool
}

type forwardEntry struct {
	msg     *mdns.Msg
	stored  time.Time
	expires time.Time
}

func newForwarder(upstreams []string, timeout time.Duration, cacheSize int) *forwarder {
	return &forwarder{
		upstreams: upstreams,
		udp:       &mdns.Client{Net: "udp", Timeout: timeout, UDPSize: mdns.DefaultMsgSize},
		tcp:       &mdns.Client{Net: "tcp", Timeout: timeout},
		cacheSize: cacheSize,
		cache:     map[forwardKey]forwardEntry{},
		now:       time.Now,
	}
}

// lookup asks the upstreams for name and qtype (class IN), through the cache.
func (f *forwarder) lookup(ctx context.Context, name string, qtype uint16) (*mdns.Msg, error) {
	req := new(mdns.Msg)
	req.SetQuestion(name, qtype)
	return f.exchange(ctx, req)
}

// exchange answers req (one question) from the cache or the first upstream that answers
// with something other than SERVFAIL or REFUSED. The reply's ID and question are req's.
func (f *forwarder) exchange(ctx context.Context, req *mdns.Msg) (*mdns.Msg, error) {
	q := req.Question[0]
	do := false
	if opt := req.IsEdns0(); opt != nil {
		do = opt.Do()
	}
	key := forwardKey{strings.ToLower(q.Name), q.Qtype, q.Qclass, do}
	if m := f.cached(key); m != nil {
		return f.adapt(m, req), nil
	}
	if len(f.upstreams) == 0 {
		return nil, errNoUpstream
	}
	out := new(mdns.Msg)
	out.SetQuestion(q.Name, q.Qtype)
	out.Question[0].Qclass = q.Qclass
	out.RecursionDesired = true
	out.CheckingDisabled = req.CheckingDisabled
	// Ask with a large buffer, so that most answers come in one UDP exchange.
	out.SetEdns0(mdns.DefaultMsgSize, do)
	var lastErr error = errNoUpstream
	for _, up := range f.upstreams {
		m, _, err := f.udp.ExchangeContext(ctx, out, up)
		if err == nil && m.Truncated {
			m, _, err = f.tcp.ExchangeContext(ctx, out, up)
		}
		if err != nil {
			lastErr = fmt.Errorf("dns: upstream %s: %w", up, err)
			continue
		}
		if m.Rcode == mdns.RcodeServerFailure || m.Rcode == mdns.RcodeRefused {
			lastErr = fmt.Errorf("dns: upstream %s answered %s", up, mdns.RcodeToString[m.Rcode])
			continue
		}
		f.store(key, m)
		return f.adapt(m, req), nil
	}
	return nil, lastErr
}

// adapt copies an upstream answer for req: its ID, its question as asked, no OPT record
// (the handler adds its own).
func (f *forwarder) adapt(m, req *mdns.Msg) *mdns.Msg {
	out := m.Copy()
	out.Id = req.Id
	out.Question = []mdns.Question{req.Question[0]}
	out.RecursionDesired = req.RecursionDesired
	extra := out.Extra[:0]
	for _, rr := range out.Extra {
		if rr.Header().Rrtype != mdns.TypeOPT {
			extra = append(extra, rr)
		}
	}
	out.Extra = extra
	return out
}

// cached returns a copy of a fresh cached answer with its TTLs counted down.
func (f *forwarder) cached(key forwardKey) *mdns.Msg {
	if f.cacheSize < 0 {
		return nil
	}
	f.mu.Lock()
	e, ok := f.cache[key]
	f.mu.Unlock()
	now := f.now()
	if !ok || !now.Before(e.expires) {
		return nil
	}
	m := e.msg.Copy()
	elapsed := uint32(now.Sub(e.stored) / time.Second)
	for _, section := range [][]mdns.RR{m.Answer, m.Ns, m.Extra} {
		for _, rr := range section {
			if h := rr.Header(); h.Rrtype != mdns.TypeOPT {
				h.Ttl -= min(h.Ttl, elapsed)
			}
		}
	}
	return m
}

// store keeps an answer for the smallest TTL it carries (the SOA minimum for a negative
// answer), at most maxCacheTTL. When the cache is full, expired entries go; if that is not
// enough, everything does: simple, and a full cache of live entries is rare for one node.
func (f *forwarder) store(key forwardKey, m *mdns.Msg) {
	if f.cacheSize < 0 || m.Truncated {
		return
	}
	ttl := maxCacheTTL
	for _, section := range [][]mdns.RR{m.Answer, m.Ns} {
		for _, rr := range section {
			t := time.Duration(rr.Header().Ttl) * time.Second
			if soa, ok := rr.(*mdns.SOA); ok && len(m.Answer) == 0 {
				t = min(t, time.Duration(soa.Minttl)*time.Second)
			}
			ttl = min(ttl, t)
		}
	}
	if ttl <= 0 {
		return
	}
	now := f.now()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.cache) >= f.cacheSize {
		for k, e := range f.cache {
			if !now.Before(e.expires) {
				delete(f.cache, k)
			}
		}
		if len(f.cache) >= f.cacheSize {
			clear(f.cache)
		}
	}
	f.cache[key] = forwardEntry{msg: m.Copy(), stored: now, expires: now.Add(ttl)}
}
