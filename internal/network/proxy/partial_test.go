package proxy

import (
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
	discovery "k8s.io/api/discovery/v1"
	"k8s.io/utils/ptr"
)

// state is what the informers hold at one moment.
type state struct {
	services []*v1.Service
	slices   []*discovery.EndpointSlice
}

func (s state) ruleset() *ruleset { return build(s.services, s.slices, Options{}) }

var (
	apiPorts = []v1.ServicePort{tcp("http", 80, 8080)}
	apiChain = "svc-default/api/tcp/http"
	affinity = func(timeout int32) svcOpt {
		return func(s *v1.Service) {
			s.Spec.SessionAffinity = v1.ServiceAffinityClientIP
			s.Spec.SessionAffinityConfig = &v1.SessionAffinityConfig{ClientIP: &v1.ClientIPConfig{TimeoutSeconds: ptr.To(timeout)}}
		}
	}
)

// twoServices is web with one endpoint and api with the given endpoints.
func twoServices(apiOpts []svcOpt, apiEndpoints ...discovery.Endpoint) state {
	return state{
		services: []*v1.Service{svc("web", "10.43.0.20", webPorts), svc("api", "10.43.0.21", apiPorts, apiOpts...)},
		slices: []*discovery.EndpointSlice{
			slice("web-1", "web", webSlice, ep("10.42.0.5")),
			slice("api-1", "api", webSlice, apiEndpoints...),
		},
	}
}

func TestPartialScript(t *testing.T) {
	for _, tc := range []struct {
		name     string
		old, new state
		want     []string // lines, in this order (others may come between)
		wantNot  []string // substrings it must not hold
	}{{
		name: "nothing changed: empty script",
		old:  twoServices(nil, ep("10.42.0.6")),
		new:  twoServices(nil, ep("10.42.0.6")),
	}, {
		name: "endpoint added: its chain, then the service chain refilled; the other service untouched",
		old:  twoServices(nil, ep("10.42.0.6")),
		new:  twoServices(nil, ep("10.42.0.6"), ep("10.42.0.7")),
		want: []string{
			"add chain ip ordinal-proxy ep-default/api/tcp/http/10.42.0.7/8080",
			"flush chain ip ordinal-proxy " + apiChain,
			"add rule ip ordinal-proxy " + apiChain + " numgen random mod 2 vmap { 0 : goto ep-default/api/tcp/http/10.42.0.6/8080, 1 : goto ep-default/api/tcp/http/10.42.0.7/8080 }",
			"add rule ip ordinal-proxy ep-default/api/tcp/http/10.42.0.7/8080 meta l4proto tcp dnat to 10.42.0.7:8080",
		},
		wantNot: []string{"web", "element", "delete", "ep-default/api/tcp/http/10.42.0.6/8080 meta"},
	}, {
		name: "endpoint turns not ready: service chain refilled first, then the endpoint chain flushed and deleted",
		old:  twoServices(nil, ep("10.42.0.6"), ep("10.42.0.7")),
		new:  twoServices(nil, ep("10.42.0.6"), ep("10.42.0.7", notReady)),
		want: []string{
			"flush chain ip ordinal-proxy " + apiChain,
			"add rule ip ordinal-proxy " + apiChain + " goto ep-default/api/tcp/http/10.42.0.6/8080",
			"flush chain ip ordinal-proxy ep-default/api/tcp/http/10.42.0.7/8080",
			"delete chain ip ordinal-proxy ep-default/api/tcp/http/10.42.0.7/8080",
		},
		wantNot: []string{"add chain", "element"},
	}, {
		name: "last endpoint goes: the cluster IP moves to the reject map before the chains go",
		old:  twoServices(nil, ep("10.42.0.6")),
		new:  twoServices(nil),
		want: []string{
			"delete element ip ordinal-proxy service-ips { 10.43.0.21 . tcp . 80 }",
			"add element ip ordinal-proxy no-endpoint-services { 10.43.0.21 . tcp . 80 : goto reject-chain }",
			"flush chain ip ordinal-proxy " + apiChain,
			"flush chain ip ordinal-proxy ep-default/api/tcp/http/10.42.0.6/8080",
			"delete chain ip ordinal-proxy " + apiChain,
			"delete chain ip ordinal-proxy ep-default/api/tcp/http/10.42.0.6/8080",
		},
	}, {
		name: "first endpoint: chains exist before the map points at them",
		old:  twoServices(nil),
		new:  twoServices(nil, ep("10.42.0.6")),
		want: []string{
			"add chain ip ordinal-proxy " + apiChain,
			"add chain ip ordinal-proxy ep-default/api/tcp/http/10.42.0.6/8080",
			"add rule ip ordinal-proxy " + apiChain + " goto ep-default/api/tcp/http/10.42.0.6/8080",
			"delete element ip ordinal-proxy no-endpoint-services { 10.43.0.21 . tcp . 80 }",
			"add element ip ordinal-proxy service-ips { 10.43.0.21 . tcp . 80 : goto " + apiChain + " }",
		},
		wantNot: []string{"flush"},
	}, {
		name: "service deleted",
		old:  twoServices(nil, ep("10.42.0.6")),
		new:  state{services: []*v1.Service{svc("web", "10.43.0.20", webPorts)}, slices: []*discovery.EndpointSlice{slice("web-1", "web", webSlice, ep("10.42.0.5"))}},
		want: []string{
			"delete element ip ordinal-proxy service-ips { 10.43.0.21 . tcp . 80 }",
			"delete chain ip ordinal-proxy " + apiChain,
		},
		wantNot: []string{"add ", "web"},
	}, {
		name: "affinity endpoint added: its set before the rules that use it; the kept set is not recreated",
		old:  twoServices([]svcOpt{affinity(60)}, ep("10.42.0.6")),
		new:  twoServices([]svcOpt{affinity(60)}, ep("10.42.0.6"), ep("10.42.0.7")),
		want: []string{
			"add set ip ordinal-proxy affinity-default/api/tcp/http/10.42.0.7/8080 { type ipv4_addr; flags dynamic,timeout; timeout 60s; }",
			"add rule ip ordinal-proxy " + apiChain + " ip saddr @affinity-default/api/tcp/http/10.42.0.7/8080 goto ep-default/api/tcp/http/10.42.0.7/8080",
		},
		wantNot: []string{"set ip ordinal-proxy affinity-default/api/tcp/http/10.42.0.6/8080", "delete"},
	}, {
		name: "affinity turned off: sets deleted after the chains that used them",
		old:  twoServices([]svcOpt{affinity(60)}, ep("10.42.0.6")),
		new:  twoServices(nil, ep("10.42.0.6")),
		want: []string{
			"flush chain ip ordinal-proxy " + apiChain,
			"flush chain ip ordinal-proxy ep-default/api/tcp/http/10.42.0.6/8080",
			"add rule ip ordinal-proxy ep-default/api/tcp/http/10.42.0.6/8080 meta l4proto tcp dnat to 10.42.0.6:8080",
			"delete set ip ordinal-proxy affinity-default/api/tcp/http/10.42.0.6/8080",
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := partialScript(tc.old.ruleset(), tc.new.ruleset(), TableName)
			if !ok {
				t.Fatal("partial load refused")
			}
			if len(tc.want) == 0 && len(tc.wantNot) == 0 && got != "" {
				t.Fatalf("want an empty script, got:\n%s", got)
			}
			lines := strings.Split(got, "\n")
			at := 0
			for _, w := range tc.want {
				i := indexFrom(lines, at, w)
				if i < 0 {
					t.Errorf("missing line, or out of order: %q", w)
					continue
				}
				at = i + 1
			}
			for _, w := range tc.wantNot {
				if strings.Contains(got, w) {
					t.Errorf("unexpected %q", w)
				}
			}
			if t.Failed() {
				t.Logf("script:\n%s", got)
			}
		})
	}
}

func indexFrom(lines []string, from int, want string) int {
	for i := from; i < len(lines); i++ {
		if lines[i] == want {
			return i
		}
	}
	return -1
}

// A changed affinity timeout cannot be applied to the existing set: the proxier must load
// in full.
func TestPartialScriptRefusesTimeoutChange(t *testing.T) {
	old := twoServices([]svcOpt{affinity(60)}, ep("10.42.0.6")).ruleset()
	new := twoServices([]svcOpt{affinity(30)}, ep("10.42.0.6")).ruleset()
	if script, ok := partialScript(old, new, TableName); ok {
		t.Fatalf("partial load accepted a timeout change:\n%s", script)
	}
}
