package podroutes

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os/exec"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/labels"
	coreinformers "k8s.io/client-go/informers/core/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
)

// RouteProtocol marks ordinal's routes (`ip route ... proto 79`).
const RouteProtocol = "79"

// resyncPeriod re-applies the routes even without Node events, repairing a route someone
// deleted by hand or a link that came back.
const resyncPeriod = 30 * time.Second

// Controller keeps this machine's routes to the other nodes' pod CIDRs.
type Controller struct {
	self   string
	nodes  corelisters.NodeLister
	synced cache.InformerSynced
	kick   chan struct{}
}

// New makes the controller of node self; the factory's Node informer feeds it.
func New(self string, nodes coreinformers.NodeInformer) *Controller {
	c := &Controller{self: self, nodes: nodes.Lister(), synced: nodes.Informer().HasSynced, kick: make(chan struct{}, 1)}
	nodes.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { c.trigger() },
		UpdateFunc: func(any, any) { c.trigger() },
		DeleteFunc: func(any) { c.trigger() },
	})
	return c
}

func (c *Controller) trigger() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// Run syncs after every burst of Node events and every resyncPeriod until ctx ends.
func (c *Controller) Run(ctx context.Context) {
	if !cache.WaitForCacheSync(ctx.Done(), c.synced) {
		return
	}
	tick := time.NewTicker(resyncPeriod)
	defer tick.Stop()
	for {
		if err := c.sync(ctx); err != nil && ctx.Err() == nil {
			slog.Warn("pod routes", "node", c.self, "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-c.kick:
		case <-tick.C:
		}
	}
}

func (c *Controller) sync(ctx context.Context) error {
	nodes, err := c.nodes.List(labels.Everything())
	if err != nil {
		return err
	}
	desired := Desired(c.self, nodes)
	current, err := currentRoutes(ctx)
	if err != nil {
		return err
	}
	var errs []string
	changes := Diff(desired, current)
	for _, r := range changes.Replace {
		if err := ip(ctx, "route", "replace", r.CIDR, "via", r.Via, "proto", RouteProtocol); err != nil {
			errs = append(errs, err.Error())
		}
	}
	for _, cidr := range changes.Delete {
		if err := ip(ctx, "route", "del", cidr, "proto", RouteProtocol); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if err := setRemote(ctx, desired); err != nil {
		errs = append(errs, err.Error())
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return nil
}

// currentRoutes are the routes of ours in the main table.
func currentRoutes(ctx context.Context) ([]Route, error) {
	out, err := exec.CommandContext(ctx, "ip", "-j", "route", "show", "proto", RouteProtocol).Output()
	if err != nil {
		return nil, fmt.Errorf("ip route show proto %s: %w", RouteProtocol, err)
	}
	var routes []struct {
		Dst     string `json:"dst"`
		Gateway string `json:"gateway"`
	}
	if len(bytes.TrimSpace(out)) > 0 {
		if err := json.Unmarshal(out, &routes); err != nil {
			return nil, fmt.Errorf("parsing ip -j route: %w", err)
		}
	}
	var cur []Route
	for _, r := range routes {
		cur = append(cur, Route{CIDR: r.Dst, Via: r.Gateway})
	}
	return cur, nil
}

// setRemote makes the set `remote` of table inet ordinal hold exactly the desired CIDRs, in
// one transaction. Without the table (no pod has run here yet) there is nothing to allow.
func setRemote(ctx context.Context, desired []Route) error {
	var script strings.Builder
	script.WriteString("add table inet ordinal\n")
	script.WriteString("add set inet ordinal remote { type ipv4_addr; flags interval; }\n")
	script.WriteString("flush set inet ordinal remote\n")
	if len(desired) > 0 {
		cidrs := make([]string, len(desired))
		for i, r := range desired {
			cidrs[i] = r.CIDR
		}
		fmt.Fprintf(&script, "add element inet ordinal remote { %s }\n", strings.Join(cidrs, ", "))
	}
	cmd := exec.CommandContext(ctx, "nft", "-f", "-")
	cmd.Stdin = strings.NewReader(script.String())
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("nft: %v: %s", err, bytes.TrimSpace(out))
	}
	return nil
}

func ip(ctx context.Context, args ...string) error {
	if out, err := exec.CommandContext(ctx, "ip", args...).CombinedOutput(); err != nil {
		return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return nil
}
