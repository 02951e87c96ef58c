package dnscompare

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// convergeTimeout bounds how long the servers may take to see the same objects: both
// follow the apiserver through their own watches, so a difference may last a moment.
const convergeTimeout = 20 * time.Second

// TestSameAnswersAsCoreDNS asks ordinal's cluster DNS server and CoreDNS's kubernetes
// plugin, both following the same ordinal apiserver, the same questions, and fails on any
// difference the allow-list does not explain.
func TestSameAnswersAsCoreDNS(t *testing.T) {
	start := time.Now()
	o := startOrdinal(t)
	t.Logf("ordinal up: ready in %v (apiserver %s, DNS %s)", time.Since(start).Round(time.Millisecond), o.apiAddr, o.dnsAddr)

	start = time.Now()
	coreAddr := startCoreDNS(t, o.kubeconfig())
	// That CoreDNS answers from ordinal's apiserver is part of the check: its client-go
	// lists and watches Services, EndpointSlices and Namespaces there.
	waitAnswer(t, "CoreDNS", coreAddr, "kubernetes.default.svc."+zone)
	waitAnswer(t, "ordinal", o.dnsAddr, "kubernetes.default.svc."+zone)
	t.Logf("CoreDNS: answering from ordinal's apiserver in %v (DNS %s)", time.Since(start).Round(time.Millisecond), coreAddr)

	start = time.Now()
	c := createObjects(t, o.client)
	t.Logf("objects created and settled in %v", time.Since(start).Round(time.Millisecond))

	qs := questions(c)
	for _, q := range qs {
		if err := guard(c, q); err != nil {
			t.Fatal(err)
		}
	}
	checkAbsolute(t, o.dnsAddr, c)
	checkTruncation(t, map[string]string{"ordinal": o.dnsAddr, "CoreDNS": coreAddr})

	start = time.Now()
	var diffs []difference
	var asked int
	deadline := time.Now().Add(convergeTimeout)
	for {
		diffs, asked = probe(o.dnsAddr, coreAddr, qs)
		if len(unexplained(diffs)) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Logf("%d questions, %d exchanges with each server, compared in %v", len(qs), asked, time.Since(start).Round(time.Millisecond))

	if bad := unexplained(diffs); len(bad) > 0 {
		t.Errorf("ordinal and CoreDNS differ (%d differences outside the allow-list; for a section, "+
			"the records only that server gave):\n%s", len(bad), table(bad))
	}
	used := make([]bool, len(allowed))
	for _, d := range diffs {
		if i := explain(d); i >= 0 {
			used[i] = true
		}
	}
	if s := allowedSummary(diffs); s != "" {
		t.Logf("allowed differences:\n%s", s)
	}
	for i, u := range used {
		if !u {
			t.Errorf("allow-list entry %d (%s: %s) explains no difference any more: remove it", i, strings.Join(allowed[i].cases, ", "), allowed[i].why)
		}
	}
}

func unexplained(diffs []difference) []difference {
	var out []difference
	for _, d := range diffs {
		if explain(d) < 0 {
			out = append(out, d)
		}
	}
	return out
}

// waitAnswer waits until server answers name A with NOERROR and an address.
func waitAnswer(t *testing.T, who, server, name string) {
	t.Helper()
	q := question{name: name, qtype: dns.TypeA}
	deadline := time.Now().Add(30 * time.Second)
	for {
		v := exchange(server, q, tcp)
		if v.err == "" && v.rcode == "NOERROR" && len(v.answer) > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s at %s does not answer %s A after 30s: %+v", who, server, name, v)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// checkAbsolute checks a few of ordinal's answers against the objects themselves, so that
// the comparison cannot pass with both servers wrong in the same way (both SERVFAIL, say).
func checkAbsolute(t *testing.T, server string, c *cluster) {
	t.Helper()
	addrs := func(ips ...netip.Addr) []string {
		var out []string
		for _, ip := range ips {
			out = append(out, ip.String())
		}
		slices.Sort(out)
		return out
	}
	for _, x := range []struct {
		name  string
		qtype uint16
		want  []string
	}{
		{svcName("web"), dns.TypeA, addrs(c.clusterIPs["web"])},
		{svcName("db"), dns.TypeA, addrs(c.podIPs["db-0"], c.podIPs["db-1"], c.podIPs["db-x"])},
		{svcName("db-all"), dns.TypeA, addrs(c.podIPs["db-0"], c.podIPs["db-1"], c.podIPs["db-2"], c.podIPs["db-x"])},
		{svcName("sts-1", "sts"), dns.TypeA, addrs(c.podIPs["sts-1"])},
		{svcName("alpha", "manual"), dns.TypeA, []string{"10.99.0.1"}},
		{svcName("beta", "manual-hl"), dns.TypeAAAA, []string{"fd00:99::1"}},
		{reverse(c.clusterIPs["web"]), dns.TypePTR, []string{svcName("web")}},
		{svcName("_http", "_tcp", "web"), dns.TypeSRV, []string{"0 100 80 " + svcName("web")}},
	} {
		q := question{name: x.name, qtype: x.qtype}
		// Ordinal's watch may lag the API a moment.
		var got []string
		deadline := time.Now().Add(convergeTimeout)
		for {
			got = rdata(server, q)
			if slices.Equal(got, x.want) || time.Now().After(deadline) {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		if !slices.Equal(got, x.want) {
			t.Errorf("ordinal answers %s with %q, want %q", q, got, x.want)
		}
	}
}

// rdata is the sorted record data of the answer to q over TCP.
func rdata(server string, q question) []string {
	m := new(dns.Msg)
	m.SetQuestion(q.name, q.qtype)
	r, _, err := (&dns.Client{Net: "tcp", Timeout: 3 * time.Second}).Exchange(m, server)
	if err != nil {
		return []string{err.Error()}
	}
	var out []string
	for _, rr := range r.Answer {
		hdr := rr.Header().String()
		out = append(out, strings.TrimPrefix(rr.String(), hdr))
	}
	slices.Sort(out)
	if r.Rcode != dns.RcodeSuccess {
		out = append(out, fmt.Sprintf("rcode %s", dns.RcodeToString[r.Rcode]))
	}
	return out
}

// checkTruncation checks that the large headless answer is truncated where it must be, so
// that the comparison of the truncation questions compares truncation: over UDP without
// EDNS0 (512 bytes) and with 1232 bytes the TC bit is set and some records come; with 4096
// bytes and over TCP all bigEndpoints records come.
func checkTruncation(t *testing.T, servers map[string]string) {
	t.Helper()
	q := question{name: svcName("big"), qtype: dns.TypeA}
	for who, addr := range servers {
		for _, x := range []struct {
			tr        transport
			truncated bool
		}{{udp, true}, {udpEDNS, true}, {udpLarge, false}, {tcp, false}} {
			v := exchange(addr, q, x.tr)
			switch {
			case v.err != "":
				t.Errorf("%s: %s over %s: %s", who, q, x.tr, v.err)
			case v.tc != x.truncated:
				t.Errorf("%s: %s over %s: TC=%v, want %v", who, q, x.tr, v.tc, x.truncated)
			case x.truncated && (len(v.answer) == 0 || len(v.answer) >= bigEndpoints):
				t.Errorf("%s: %s over %s: %d records in a truncated answer, want some but not %d", who, q, x.tr, len(v.answer), bigEndpoints)
			case !x.truncated && len(v.answer) != bigEndpoints:
				t.Errorf("%s: %s over %s: %d records, want %d", who, q, x.tr, len(v.answer), bigEndpoints)
			}
		}
	}
}
