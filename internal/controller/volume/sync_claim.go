package volume

import (
	"context"
	"fmt"
	"reflect"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/tools/cache"

	"ordinal.dev/ordinal/internal/volume/shareddir"
)

// syncClaim reads one claim and what it depends on, plans, and writes the plan.
func (c *Controller) syncClaim(ctx context.Context, key string) error {
	namespace, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return nil
	}
	claim, err := c.claims.PersistentVolumeClaims(namespace).Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	state, err := c.claimState(ctx, claim)
	if err != nil {
		return err
	}
	plan, err := planClaim(state)
	if err != nil {
		return err
	}
	for _, e := range plan.events {
		c.recorderFor(e.provisioner).Event(claim, e.eventType, e.reason, e.message)
	}
	claim, err = c.updateClaim(ctx, claim, plan)
	if err != nil || claim == nil {
		return err
	}
	if plan.provision != nil {
		if err := c.provision(ctx, claim, plan.provision); err != nil {
			return err
		}
	}
	if plan.bind != nil {
		return c.bind(ctx, plan.bind, claim)
	}
	if plan.phase != "" {
		_, err = c.updateClaimStatus(ctx, claim, plan.phase, nil)
	}
	return err
}

// claimState gathers what planClaim looks at, from the informers and, to confirm that a
// claim being deleted is unused, from the API.
func (c *Controller) claimState(ctx context.Context, claim *corev1.PersistentVolumeClaim) (claimState, error) {
	s := claimState{claim: claim, root: c.root, sharedDirs: c.sharedDirs}
	if name := claimClass(claim); name != "" {
		class, err := c.classes.Get(name)
		switch {
		case err == nil:
			s.class = class
		case !apierrors.IsNotFound(err):
			return s, err
		}
	}
	volumes, err := c.volumes.List(labels.Everything())
	if err != nil {
		return s, err
	}
	s.volumes = volumes
	if name := claim.Annotations[AnnSelectedNode]; name != "" {
		node, err := c.nodes.Get(name)
		if err != nil {
			// A node the scheduler just picked may not have reached our cache; its name is
			// its hostname label on every ordinal node.
			node = &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{hostnameLabel: name}}}
		}
		s.node = node
	}
	if _, selected := claim.Annotations[AnnSelectedNode]; !selected && s.class != nil && claim.Spec.VolumeName == "" &&
		s.class.VolumeBindingMode != nil && *s.class.VolumeBindingMode == storagev1.VolumeBindingWaitForFirstConsumer {
		pods, err := c.pods.Pods(claim.Namespace).List(labels.Everything())
		if err != nil {
			return s, err
		}
		s.unscheduledPods = unscheduledPods(claim, pods)
	}
	if needsDefaultClass(claim) {
		classes, err := c.classes.List(labels.Everything())
		if err != nil {
			return s, err
		}
		s.defaultClass = defaultClassName(classes)
	}
	if claim.DeletionTimestamp != nil && hasFinalizer(claim.Finalizers, ClaimProtectionFinalizer) {
		s.inUse, err = c.claimInUse(ctx, claim)
		if err != nil {
			return s, err
		}
	}
	return s, nil
}

// claimInUse asks the informer and, before letting a claim go, the API: a pod created a
// moment ago may not be in the cache yet, and releasing its claim would lose its data.
func (c *Controller) claimInUse(ctx context.Context, claim *corev1.PersistentVolumeClaim) (bool, error) {
	cached, err := c.pods.Pods(claim.Namespace).List(labels.Everything())
	if err != nil {
		return false, err
	}
	if claimInUse(claim, cached) {
		return true, nil
	}
	live, err := c.client.CoreV1().Pods(claim.Namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return false, err
	}
	pods := make([]*corev1.Pod, len(live.Items))
	for i := range live.Items {
		pods[i] = &live.Items[i]
	}
	return claimInUse(claim, pods), nil
}

// updateClaim writes the plan's changes to the claim's metadata and spec in one update and
// returns the claim as stored; nil when the claim is gone.
func (c *Controller) updateClaim(ctx context.Context, claim *corev1.PersistentVolumeClaim, plan claimPlan) (*corev1.PersistentVolumeClaim, error) {
	if !plan.addFinalizer && !plan.removeFinalizer && plan.setClass == "" && plan.annotateProvisioner == "" {
		return claim, nil
	}
	claim = claim.DeepCopy()
	switch {
	case plan.addFinalizer:
		claim.Finalizers = append(claim.Finalizers, ClaimProtectionFinalizer)
	case plan.removeFinalizer:
		claim.Finalizers = withoutFinalizer(claim.Finalizers, ClaimProtectionFinalizer)
	}
	if plan.setClass != "" {
		class := plan.setClass
		claim.Spec.StorageClassName = &class
	}
	if p := plan.annotateProvisioner; p != "" {
		metav1.SetMetaDataAnnotation(&claim.ObjectMeta, AnnStorageProvisioner, p)
		metav1.SetMetaDataAnnotation(&claim.ObjectMeta, AnnBetaStorageProvisioner, p)
	}
	updated, err := c.client.CoreV1().PersistentVolumeClaims(claim.Namespace).Update(ctx, claim, metav1.UpdateOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("updating claim %s/%s: %w", claim.Namespace, claim.Name, err)
	}
	if plan.removeFinalizer {
		return nil, nil
	}
	return updated, nil
}

// provision creates a provisioned volume for claim, after making a shared-path volume's
// directory (as upstream's NFS provisioner does, so that a share that is not mounted here, or
// not writable, fails the claim now rather than its pod later). The volume comes pre-bound;
// the claim's next sync, triggered by the volume's arrival, binds it.
func (c *Controller) provision(ctx context.Context, claim *corev1.PersistentVolumeClaim, pv *corev1.PersistentVolume) error {
	provisioner := pv.Annotations[AnnProvisionedBy]
	recorder := c.recorderFor(provisioner)
	failed := func(err error) error {
		recorder.Event(claim, corev1.EventTypeWarning, reasonProvisioningFailed,
			fmt.Sprintf("failed to provision volume with StorageClass %q: %v", pv.Spec.StorageClassName, err))
		return err
	}
	if IsSharedVolume(pv) {
		loc, err := sharedVolumeLocation(pv, c.sharedDirs)
		if err == nil {
			err = shareddir.Make(loc.base, loc.dir)
		}
		if err != nil {
			return failed(fmt.Errorf("making the directory of volume %s: %w", pv.Name, err))
		}
	}
	_, err := c.client.CoreV1().PersistentVolumes().Create(ctx, pv, metav1.CreateOptions{})
	switch {
	case apierrors.IsAlreadyExists(err):
		// Made by an earlier sync whose volume our cache has not seen yet.
		return nil
	case err != nil:
		return failed(err)
	}
	recorder.Event(claim, corev1.EventTypeNormal, reasonProvisioning,
		fmt.Sprintf("External provisioner is provisioning volume for claim %q", claim.Namespace+"/"+claim.Name))
	recorder.Event(claim, corev1.EventTypeNormal, reasonProvisioningSucceeded, "Successfully provisioned volume "+pv.Name)
	return nil
}

// bind binds pv and claim in upstream's order, writing only what differs: the volume's
// claimRef, the volume's phase, the claim's volumeName and annotations, the claim's status.
// A failure half-way leaves a state the next sync of either side completes.
func (c *Controller) bind(ctx context.Context, pv *corev1.PersistentVolume, claim *corev1.PersistentVolumeClaim) error {
	pv, err := c.bindVolumeToClaim(ctx, pv, claim)
	if err != nil {
		return err
	}
	if pv, err = c.updateVolumePhase(ctx, pv, corev1.VolumeBound, ""); err != nil || pv == nil {
		// A vanished volume: the claim's next sync sees it gone.
		return err
	}
	if claim, err = c.bindClaimToVolume(ctx, claim, pv); err != nil {
		return err
	}
	_, err = c.updateClaimStatus(ctx, claim, corev1.ClaimBound, pv)
	return err
}

func (c *Controller) bindVolumeToClaim(ctx context.Context, pv *corev1.PersistentVolume, claim *corev1.PersistentVolumeClaim) (*corev1.PersistentVolume, error) {
	byController := !isVolumeBoundToClaim(pv, claim)
	ref := pv.Spec.ClaimRef
	needRef := ref == nil || ref.Name != claim.Name || ref.Namespace != claim.Namespace || ref.UID != claim.UID
	_, annotated := pv.Annotations[AnnBoundByController]
	needAnnotation := byController && !annotated
	if !needRef && !needAnnotation {
		return pv, nil
	}
	pv = pv.DeepCopy()
	if needRef {
		pv.Spec.ClaimRef = &corev1.ObjectReference{
			Kind: "PersistentVolumeClaim", APIVersion: "v1",
			Namespace: claim.Namespace, Name: claim.Name, UID: claim.UID, ResourceVersion: claim.ResourceVersion,
		}
	}
	if needAnnotation {
		metav1.SetMetaDataAnnotation(&pv.ObjectMeta, AnnBoundByController, "yes")
	}
	updated, err := c.client.CoreV1().PersistentVolumes().Update(ctx, pv, metav1.UpdateOptions{})
	if err != nil {
		return nil, fmt.Errorf("binding volume %s to claim %s/%s: %w", pv.Name, claim.Namespace, claim.Name, err)
	}
	return updated, nil
}

func (c *Controller) bindClaimToVolume(ctx context.Context, claim *corev1.PersistentVolumeClaim, pv *corev1.PersistentVolume) (*corev1.PersistentVolumeClaim, error) {
	_, annotated := claim.Annotations[AnnBoundByController]
	_, completed := claim.Annotations[AnnBindCompleted]
	byController := claim.Spec.VolumeName != pv.Name
	if !byController && completed {
		return claim, nil
	}
	claim = claim.DeepCopy()
	if byController {
		claim.Spec.VolumeName = pv.Name
		if !annotated {
			metav1.SetMetaDataAnnotation(&claim.ObjectMeta, AnnBoundByController, "yes")
		}
	}
	if !completed {
		metav1.SetMetaDataAnnotation(&claim.ObjectMeta, AnnBindCompleted, "yes")
	}
	updated, err := c.client.CoreV1().PersistentVolumeClaims(claim.Namespace).Update(ctx, claim, metav1.UpdateOptions{})
	if err != nil {
		return nil, fmt.Errorf("binding claim %s/%s to volume %s: %w", claim.Namespace, claim.Name, pv.Name, err)
	}
	return updated, nil
}

// updateClaimStatus writes the claim's phase, with the volume's capacity and access modes
// when bound and none otherwise, if they differ from what is stored.
func (c *Controller) updateClaimStatus(ctx context.Context, claim *corev1.PersistentVolumeClaim, phase corev1.PersistentVolumeClaimPhase, pv *corev1.PersistentVolume) (*corev1.PersistentVolumeClaim, error) {
	status := claim.Status.DeepCopy()
	status.Phase = phase
	if pv == nil {
		status.AccessModes, status.Capacity = nil, nil
	} else {
		status.AccessModes = pv.Spec.AccessModes
		status.Capacity = corev1.ResourceList{corev1.ResourceStorage: pv.Spec.Capacity[corev1.ResourceStorage]}
	}
	if claimStatusEqual(&claim.Status, status) {
		return claim, nil
	}
	claim = claim.DeepCopy()
	claim.Status = *status
	updated, err := c.client.CoreV1().PersistentVolumeClaims(claim.Namespace).UpdateStatus(ctx, claim, metav1.UpdateOptions{})
	if err != nil {
		return nil, fmt.Errorf("updating status of claim %s/%s: %w", claim.Namespace, claim.Name, err)
	}
	return updated, nil
}

func claimStatusEqual(a, b *corev1.PersistentVolumeClaimStatus) bool {
	if a.Phase != b.Phase || !reflect.DeepEqual(a.AccessModes, b.AccessModes) || len(a.Capacity) != len(b.Capacity) {
		return false
	}
	for name, q := range a.Capacity {
		if other, ok := b.Capacity[name]; !ok || q.Cmp(other) != 0 {
			return false
		}
	}
	return true
}
