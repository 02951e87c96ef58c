package proxy

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "k8s.io/api/core/v1"
	discovery "k8s.io/api/discovery/v1"
)

// TestPartialLoadsMatchFullLoads walks a table through a series of states in a network
// namespace of the test's own, with partial loads only, and checks after each step that the
// kernel holds exactly what a full load of that state gives (in a second table).
func TestPartialLoadsMatchFullLoads(t *testing.T) {
	needRoot(t)
	ns := fmt.Sprintf("ordpx-partial-%d", os.Getpid())
	run(t, "ip", "netns", "add", ns)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	nft := func(script string) error {
		cmd := exec.Command("ip", "netns", "exec", ns, "nft", "-f", "-")
		cmd.Stdin = strings.NewReader(script)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("%v: %s", err, out)
		}
		return nil
	}

	nodePort := func(port int32) svcOpt {
		return func(s *v1.Service) { s.Spec.Type = v1.ServiceTypeNodePort; s.Spec.Ports[0].NodePort = port }
	}
	dnsPorts := []v1.ServicePort{udp("dns", 53), tcp("dns-tcp", 53, 53)}
	dnsSlice := []slicePort{{"dns", v1.ProtocolUDP, 5353}, {"dns-tcp", v1.ProtocolTCP, 5354}}
	states := []state{{
		services: []*v1.Service{
			svc("web", "10.43.0.20", webPorts),
			svc("dns", "10.43.0.10", dnsPorts),
			svc("empty", "10.43.0.22", webPorts),
			svc("np", "10.43.0.23", webPorts, nodePort(30080)),
			svc("aff", "10.43.0.24", webPorts, affinity(60)),
		},
		slices: []*discovery.EndpointSlice{
			slice("web-1", "web", webSlice, ep("10.42.0.5"), ep("10.42.0.6")),
			slice("dns-1", "dns", dnsSlice, ep("10.42.0.7")),
			slice("np-1", "np", webSlice, ep("10.42.0.8")),
			slice("aff-1", "aff", webSlice, ep("10.42.0.9"), ep("10.42.0.10")),
		},
	}, {
		// Endpoints added, removed and replaced; the empty service gets one.
		services: []*v1.Service{
			svc("web", "10.43.0.20", webPorts),
			svc("dns", "10.43.0.10", dnsPorts),
			svc("empty", "10.43.0.22", webPorts),
			svc("np", "10.43.0.23", webPorts, nodePort(30080)),
			svc("aff", "10.43.0.24", webPorts, affinity(60)),
		},
		slices: []*discovery.EndpointSlice{
			slice("web-1", "web", webSlice, ep("10.42.0.5"), ep("10.42.0.6"), ep("10.42.0.11")),
			slice("dns-1", "dns", dnsSlice, ep("10.42.0.7", notReady), ep("10.42.0.12")),
			slice("empty-1", "empty", webSlice, ep("10.42.0.13")),
			slice("np-1", "np", webSlice, ep("10.42.0.8", notReady)),
			slice("aff-1", "aff", webSlice, ep("10.42.0.10"), ep("10.42.0.14")),
		},
	}, {
		// Services deleted and added, affinity and NodePort switched.
		services: []*v1.Service{
			svc("web", "10.43.0.20", webPorts, affinity(30)),
			svc("np", "10.43.0.23", webPorts),
			svc("aff", "10.43.0.24", webPorts, nodePort(30081)),
			svc("new", "10.43.0.25", webPorts),
		},
		slices: []*discovery.EndpointSlice{
			slice("web-1", "web", webSlice, ep("10.42.0.5")),
			slice("np-1", "np", webSlice, ep("10.42.0.8")),
			slice("aff-1", "aff", webSlice, ep("10.42.0.10"), ep("10.42.0.14")),
			slice("new-1", "new", webSlice, ep("10.42.0.15"), ep("10.42.0.16")),
		},
	}, {
		// Everything gone.
	}}
	states = append(states, states[0])

	const partialTable, fullTable = "partial", "full"
	var loaded *ruleset
	for i, s := range states {
		rs := s.ruleset()
		script := rs.script(partialTable)
		if loaded != nil {
			var ok bool
			if script, ok = partialScript(loaded, rs, partialTable); !ok {
				t.Fatalf("step %d: partial load refused", i)
			}
		}
		if err := nft(script); err != nil {
			t.Fatalf("step %d: loading\n%s\n%v", i, script, err)
		}
		loaded = rs
		if err := nft(rs.script(fullTable)); err != nil {
			t.Fatalf("step %d: full load: %v", i, err)
		}
		got, want := listTable(t, ns, partialTable), listTable(t, ns, fullTable)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("step %d: after the partial load the table differs from a full load (-full +partial):\n%s\nscript:\n%s", i, diff, script)
		}
	}
}

// listTable returns the table's content in a form that compares equal for equal rules:
// handles and the table name dropped, map elements sorted, rules kept in chain order.
func listTable(t *testing.T, ns, table string) map[string][]string {
	t.Helper()
	out, err := exec.Command("ip", "netns", "exec", ns, "nft", "-j", "list", "table", "ip", table).Output()
	if err != nil {
		t.Fatalf("listing table %s: %v", table, err)
	}
	var doc struct {
		Nftables []map[string]map[string]any `json:"nftables"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	content := map[string][]string{}
	for _, obj := range doc.Nftables {
		for kind, v := range obj {
			if kind == "metainfo" || kind == "table" {
				continue
			}
			delete(v, "handle")
			delete(v, "table")
			if elems, ok := v["elem"].([]any); ok {
				sort.Slice(elems, func(i, j int) bool { return jsonString(elems[i]) < jsonString(elems[j]) })
			}
			key := kind + " " + fmt.Sprint(v["name"])
			if kind == "rule" {
				key = "rules of " + fmt.Sprint(v["chain"])
			}
			content[key] = append(content[key], jsonString(v))
		}
	}
	return content
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
