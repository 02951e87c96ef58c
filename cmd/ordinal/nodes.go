package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"ordinal.dev/ordinal/internal/agent"
	"ordinal.dev/ordinal/internal/runtime/sim"
	"ordinal.dev/ordinal/internal/volume"
)

// nodeOptions say which nodes `ordinal up` runs beside the control plane.
type nodeOptions struct {
	runtime       string
	simNodes      int
	simStartDelay time.Duration
	dataDir       string
	volumeDir     string
}

// nodes are the node agents of this process.
type nodes struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
	names  []string
}

// startNodes runs this machine's node agent and the simulated nodes.
func startNodes(ctx context.Context, cfg *rest.Config, o nodeOptions) (*nodes, error) {
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	n := &nodes{cancel: cancel}
	start := func(name string, m agent.Machine) error {
		a, err := agent.New(agent.Config{NodeName: name, Client: client, Runtime: sim.New(sim.Options{StartDelay: o.simStartDelay}), Machine: &m})
		if err != nil {
			return fmt.Errorf("node %s: %w", name, err)
		}
		reclaimer := volume.NewReclaimer(client, name, o.volumeDir)
		n.names = append(n.names, name)
		n.wg.Add(2)
		go func() { defer n.wg.Done(); a.Run(ctx) }()
		go func() { defer n.wg.Done(); reclaimer.Run(ctx) }()
		return nil
	}
	switch o.runtime {
	case "sim":
		hostname, err := os.Hostname()
		if err != nil {
			cancel()
			return nil, err
		}
		name := strings.ToLower(hostname)
		if err := start(name, agent.DetectMachine(name, o.dataDir)); err != nil {
			cancel()
			return nil, err
		}
	case "none":
	default:
		cancel()
		return nil, fmt.Errorf("--runtime=%s: this build runs pods on the simulated runtime only (--runtime=sim); the process runtime (runc) is not there yet", o.runtime)
	}
	for i := 1; i <= o.simNodes; i++ {
		name := fmt.Sprintf("ordinal-sim-%d", i)
		if err := start(name, agent.SimMachine(name, i)); err != nil {
			n.stop()
			return nil, err
		}
	}
	return n, nil
}

// stop ends the agents without stopping their pods (a restart finds them again).
func (n *nodes) stop() {
	n.cancel()
	n.wg.Wait()
}
