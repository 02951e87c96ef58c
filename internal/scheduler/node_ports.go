package scheduler

import (
	corev1 "k8s.io/api/core/v1"
)

const reasonNodePorts = "node(s) didn't have free ports for the requested pod ports"

// hostPort is one (address, protocol, port) a pod takes on its node; address 0.0.0.0 takes the
// port on every address.
type hostPort struct {
	ip       string
	protocol corev1.Protocol
	port     int32
}

const anyAddress = "0.0.0.0"

// conflicts reports whether two host ports cannot both be taken on one node.
func (p hostPort) conflicts(o hostPort) bool {
	if p.port != o.port || p.protocol != o.protocol {
		return false
	}
	return p.ip == o.ip || p.ip == anyAddress || o.ip == anyAddress
}

// podHostPorts lists the host ports of the pod's containers and sidecars, with upstream's
// defaults (any address, TCP).
func podHostPorts(pod *corev1.Pod) []hostPort {
	var out []hostPort
	add := func(c *corev1.Container) {
		for _, p := range c.Ports {
			if p.HostPort <= 0 {
				continue
			}
			hp := hostPort{ip: p.HostIP, protocol: p.Protocol, port: p.HostPort}
			if hp.ip == "" {
				hp.ip = anyAddress
			}
			if hp.protocol == "" {
				hp.protocol = corev1.ProtocolTCP
			}
			out = append(out, hp)
		}
	}
	for i := range pod.Spec.InitContainers {
		if c := &pod.Spec.InitContainers[i]; c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			add(c)
		}
	}
	for i := range pod.Spec.Containers {
		add(&pod.Spec.Containers[i])
	}
	return out
}

// nodePortsFilter is upstream's NodePorts: the pod's host ports must be free on the node.
// Preemption can free them, so the status is Unschedulable.
func nodePortsFilter(cs *cycleState, n *nodeInfo) *status {
	if len(cs.pod.hostPorts) == 0 {
		return nil
	}
	for _, existing := range n.pods {
		for _, used := range existing.hostPorts {
			for _, want := range cs.pod.hostPorts {
				if want.conflicts(used) {
					return newStatus(unschedulable, reasonNodePorts)
				}
			}
		}
	}
	return nil
}
