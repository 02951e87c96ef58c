package endpointslice

import (
	"context"
	"fmt"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/client-go/kubernetes"
)

// writeSlices executes a plan through the API in namespace ns: creations, then updates,
// then deletions, so that an endpoint moving between slices is never absent in between.
// Every write is recorded in tracker. owner names the object in error messages.
func writeSlices(ctx context.Context, client kubernetes.Interface, tracker *sliceTracker, ns, owner string, plan slicePlan) error {
	api := client.DiscoveryV1().EndpointSlices(ns)
	for _, s := range plan.create {
		created, err := api.Create(ctx, s, metav1.CreateOptions{})
		if err != nil {
			if apierrors.HasStatusCause(err, v1.NamespaceTerminatingCause) {
				return nil // creates keep failing until the namespace is gone
			}
			return fmt.Errorf("failed to create EndpointSlice for %s: %w", owner, err)
		}
		tracker.wrote(created)
	}
	for _, s := range plan.update {
		updated, err := api.Update(ctx, s, metav1.UpdateOptions{})
		if err != nil {
			return fmt.Errorf("failed to update %s EndpointSlice for %s: %w", s.Name, owner, err)
		}
		tracker.wrote(updated)
	}
	var errs []error
	for _, s := range plan.delete {
		err := api.Delete(ctx, s.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &s.UID}})
		if err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("failed to delete %s EndpointSlice for %s: %w", s.Name, owner, err))
			continue
		}
		tracker.deleting(s)
	}
	return utilerrors.NewAggregate(errs)
}
