package streaming

import (
	"context"
	"net/http"
	"slices"
	"sync"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// LocalNodes are the streaming servers of the node agents that run in this process, by
// node name. The apiserver looks a node up here before trying the network: simulated
// nodes have made-up addresses, and the node of `ordinal up` needs no TLS to itself.
type LocalNodes struct {
	mu      sync.RWMutex
	servers map[string][]*Server
}

// Local is the process's registry of in-process agents.
var Local = &LocalNodes{}

// Register makes s reachable as its node; unregister undoes it. Several servers may
// claim one node name (tests running clusters side by side): Lookup tells them apart by
// the Node's UID.
func (l *LocalNodes) Register(s *Server) (unregister func()) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.servers == nil {
		l.servers = map[string][]*Server{}
	}
	name := s.cfg.NodeName
	l.servers[name] = append(l.servers[name], s)
	return func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		list := slices.DeleteFunc(slices.Clone(l.servers[name]), func(o *Server) bool { return o == s })
		if len(list) == 0 {
			delete(l.servers, name)
		} else {
			l.servers[name] = list
		}
	}
}

// Lookup returns the in-process server of node, or nil when its agent runs elsewhere.
func (l *LocalNodes) Lookup(ctx context.Context, node *corev1.Node) http.Handler {
	l.mu.RLock()
	list := l.servers[node.Name]
	l.mu.RUnlock()
	switch len(list) {
	case 0:
		return nil
	case 1:
		return list[0]
	}
	// The server whose own API client sees the same Node is the one of this cluster.
	for _, s := range list {
		n, err := s.cfg.Client.CoreV1().Nodes().Get(ctx, node.Name, metav1.GetOptions{})
		if err == nil && n.UID == node.UID {
			return s
		}
	}
	return nil
}
