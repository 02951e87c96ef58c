package proxy

import (
	"fmt"
	"slices"
	"strings"
)

// partialScript returns the nft script that turns the table from holding old into holding
// new by touching only what differs: new sets and chains are added, changed chains are
// flushed and refilled, map elements are deleted and added one by one, and chains and sets
// that went are deleted. It is still one transaction. ok is false when the change cannot
// be made in place (an affinity set's timeout changed); the caller then loads in full. An
// empty script means nothing changed.
//
// Why: a full load of 1,000 services × 10 endpoints takes `nft -f` most of a second, and
// every endpoint change would pay it; a partial one pays for the service that changed.
func partialScript(old, new *ruleset, table string) (script string, ok bool) {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }

	oldSets := map[string]nftSet{}
	for _, s := range old.sets {
		oldSets[s.name] = s
	}
	newSets := map[string]bool{}
	for _, s := range new.sets {
		newSets[s.name] = true
		if o, found := oldSets[s.name]; found {
			if o != s {
				return "", false
			}
			continue
		}
		w("add set ip %s %s { type ipv4_addr; flags dynamic,timeout; timeout %ds; }", table, s.name, s.timeout)
	}

	// Chains first exist (empty), then get their rules, so that rules may jump to any of
	// them whatever the order.
	oldChains := map[string][]string{}
	for _, c := range old.chains {
		oldChains[c.name] = c.rules
	}
	newChains := map[string]bool{}
	for _, c := range new.chains {
		newChains[c.name] = true
		if _, found := oldChains[c.name]; !found {
			w("add chain ip %s %s", table, c.name)
		}
	}
	for _, c := range new.chains {
		rules, found := oldChains[c.name]
		if found && slices.Equal(rules, c.rules) {
			continue
		}
		if found {
			w("flush chain ip %s %s", table, c.name)
		}
		for _, r := range c.rules {
			w("add rule ip %s %s %s", table, c.name, r)
		}
	}

	// Map elements: removed and changed ones out of every map first, then added and
	// changed ones in (a cluster IP may move from one map to another).
	var adds []string
	for i, m := range new.maps {
		was := map[string]string{}
		for _, e := range old.maps[i].elems {
			was[e.key] = e.verdict
		}
		var del, add []string
		for _, e := range m.elems {
			v, found := was[e.key]
			delete(was, e.key)
			if found && v == e.verdict {
				continue
			}
			if found {
				del = append(del, e.key)
			}
			add = append(add, e.key+" : "+e.verdict)
		}
		for _, e := range old.maps[i].elems {
			if _, gone := was[e.key]; gone {
				del = append(del, e.key)
			}
		}
		if len(del) > 0 {
			w("delete element ip %s %s { %s }", table, m.name, strings.Join(del, ", "))
		}
		if len(add) > 0 {
			adds = append(adds, fmt.Sprintf("add element ip %s %s { %s }", table, m.name, strings.Join(add, ", ")))
		}
	}
	for _, a := range adds {
		w("%s", a)
	}

	// Chains that went are flushed before any is deleted: a service chain jumps to its
	// endpoint chains, and a chain can only go once nothing refers to it. Their sets go
	// last, once no rule uses them.
	var gone []string
	for _, c := range old.chains {
		if !newChains[c.name] {
			gone = append(gone, c.name)
			w("flush chain ip %s %s", table, c.name)
		}
	}
	for _, name := range gone {
		w("delete chain ip %s %s", table, name)
	}
	for _, s := range old.sets {
		if !newSets[s.name] {
			w("delete set ip %s %s", table, s.name)
		}
	}
	return b.String(), true
}
