package proxybench

import (
	"context"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"ordinal.dev/ordinal/internal/controlplane"
)

// startAPIServer starts a control plane in this process (embedded etcd, apiserver on the
// host's loopback) with the flip service in it, for timing the whole path: slice write →
// etcd → watch → informer → sync → nft. The EndpointSlice controllers are off: the
// benchmark writes the slice itself, and the service has no selector for them anyway.
func startAPIServer(ctx context.Context, dataDir string) (*controlplane.ControlPlane, kubernetes.Interface, error) {
	cp, err := controlplane.Start(ctx, controlplane.Options{
		DataDir:            dataDir,
		Listen:             "127.0.0.1:0",
		DisableControllers: []string{"endpointslice", "endpointslicemirroring", "endpoints"},
	})
	if err != nil {
		return nil, nil, fmt.Errorf("starting the control plane: %w", err)
	}
	client, err := kubernetes.NewForConfig(cp.RestConfig)
	if err != nil {
		cp.Stop()
		return nil, nil, err
	}
	if _, err := client.CoreV1().Services(namespace).Create(ctx, service(flipService, flipIP), metav1.CreateOptions{}); err != nil {
		cp.Stop()
		return nil, nil, fmt.Errorf("creating the flip service: %w", err)
	}
	return cp, client, nil
}
