package statefulset

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"time"

	apps "k8s.io/api/apps/v1"
	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
)

// requestTracker counts the calls of one method, can fail the Nth one from now, and records
// the most calls seen in flight at once.
type requestTracker struct {
	calls       int
	failAt      int // fail the call with this number (1-based), 0: never
	err         error
	inflight    int
	maxInflight int
	delay       time.Duration
}

// failNext makes the nth call from now fail with err.
func (rt *requestTracker) failNext(n int, err error) {
	rt.failAt, rt.err = rt.calls+n, err
}

var (
	podsResource      = schema.GroupResource{Resource: "pods"}
	claimsResource    = schema.GroupResource{Resource: "persistentvolumeclaims"}
	revisionsResource = schema.GroupResource{Group: "apps", Resource: "controllerrevisions"}
	setsResource      = schema.GroupResource{Group: "apps", Resource: "statefulsets"}
)

// fakeObjectManager is an in-memory API for the control step: objects in maps, resource
// versions and UIDs assigned like a server, graceful deletion for pods bound to a node (they
// get a deletionTimestamp and stay until the test's kubelet removes them), and hooks that
// check invariants at the moment of each pod write.
type fakeObjectManager struct {
	mu        sync.Mutex
	now       func() time.Time
	sets      map[string]*apps.StatefulSet
	pods      map[string]*v1.Pod
	claims    map[string]*v1.PersistentVolumeClaim
	revisions map[string]*apps.ControllerRevision
	rv, uid   int
	writes    int
	trackers  map[string]*requestTracker
	// onCreatePod and onDeletePod see the store before the write; they run under the lock.
	onCreatePod func(pod *v1.Pod)
	onDeletePod func(pod *v1.Pod)
	// log lists pod writes in order: "create foo-0", "delete foo-2".
	log []string
}

func newFakeObjectManager(now func() time.Time) *fakeObjectManager {
	return &fakeObjectManager{
		now: now, sets: map[string]*apps.StatefulSet{}, pods: map[string]*v1.Pod{},
		claims: map[string]*v1.PersistentVolumeClaim{}, revisions: map[string]*apps.ControllerRevision{},
		trackers: map[string]*requestTracker{},
	}
}

var _ objectManager = &fakeObjectManager{}

func key(namespace, name string) string { return namespace + "/" + name }

func (om *fakeObjectManager) tracker(method string) *requestTracker {
	rt, ok := om.trackers[method]
	if !ok {
		rt = &requestTracker{}
		om.trackers[method] = rt
	}
	return rt
}

// call counts a call of method and returns the injected error, if it is this call's turn.
// It must be called with the lock held; a tracker with a delay releases it while waiting, so
// that parallel calls overlap.
func (om *fakeObjectManager) call(method string) error {
	rt := om.tracker(method)
	rt.calls++
	rt.inflight++
	rt.maxInflight = max(rt.maxInflight, rt.inflight)
	if rt.delay > 0 {
		om.mu.Unlock()
		time.Sleep(rt.delay)
		om.mu.Lock()
	}
	rt.inflight--
	if rt.failAt == rt.calls {
		return rt.err
	}
	return nil
}

func (om *fakeObjectManager) stamp(meta *metav1.ObjectMeta, create bool) {
	om.rv++
	om.writes++
	meta.ResourceVersion = strconv.Itoa(om.rv)
	if create {
		om.uid++
		meta.UID = types.UID(fmt.Sprintf("uid-%d", om.uid))
		meta.CreationTimestamp = metav1.NewTime(om.now())
		meta.Generation = 1
	}
}

func conflict(gr schema.GroupResource, name string) error {
	return apierrors.NewConflict(gr, name, fmt.Errorf("the object has been modified"))
}

func (om *fakeObjectManager) CreatePod(_ context.Context, pod *v1.Pod) (*v1.Pod, error) {
	om.mu.Lock()
	defer om.mu.Unlock()
	if err := om.call("CreatePod"); err != nil {
		return nil, err
	}
	if om.onCreatePod != nil {
		om.onCreatePod(pod)
	}
	k := key(pod.Namespace, pod.Name)
	if _, ok := om.pods[k]; ok {
		return nil, apierrors.NewAlreadyExists(podsResource, pod.Name)
	}
	pod = pod.DeepCopy()
	om.stamp(&pod.ObjectMeta, true)
	pod.Status = v1.PodStatus{Phase: v1.PodPending}
	om.pods[k] = pod
	om.log = append(om.log, "create "+pod.Name)
	return pod.DeepCopy(), nil
}

func (om *fakeObjectManager) GetPod(_ context.Context, namespace, name string) (*v1.Pod, error) {
	om.mu.Lock()
	defer om.mu.Unlock()
	pod, ok := om.pods[key(namespace, name)]
	if !ok {
		return nil, apierrors.NewNotFound(podsResource, name)
	}
	return pod.DeepCopy(), nil
}

func (om *fakeObjectManager) UpdatePod(_ context.Context, pod *v1.Pod) (*v1.Pod, error) {
	om.mu.Lock()
	defer om.mu.Unlock()
	if err := om.call("UpdatePod"); err != nil {
		return nil, err
	}
	k := key(pod.Namespace, pod.Name)
	old, ok := om.pods[k]
	if !ok {
		return nil, apierrors.NewNotFound(podsResource, pod.Name)
	}
	if pod.ResourceVersion != old.ResourceVersion {
		return nil, conflict(podsResource, pod.Name)
	}
	pod = pod.DeepCopy()
	pod.Status = old.Status
	om.stamp(&pod.ObjectMeta, false)
	om.pods[k] = pod
	om.log = append(om.log, "update "+pod.Name)
	return pod.DeepCopy(), nil
}

func (om *fakeObjectManager) DeletePod(_ context.Context, pod *v1.Pod) error {
	om.mu.Lock()
	defer om.mu.Unlock()
	if err := om.call("DeletePod"); err != nil {
		return err
	}
	k := key(pod.Namespace, pod.Name)
	cur, ok := om.pods[k]
	if !ok {
		return apierrors.NewNotFound(podsResource, pod.Name)
	}
	if cur.UID != pod.UID {
		return conflict(podsResource, pod.Name)
	}
	if om.onDeletePod != nil {
		om.onDeletePod(cur)
	}
	om.log = append(om.log, "delete "+pod.Name)
	// As the API server: a pod on a node that has not finished is deleted gracefully.
	if cur.Spec.NodeName != "" && cur.Status.Phase != v1.PodFailed && cur.Status.Phase != v1.PodSucceeded {
		if cur.DeletionTimestamp == nil {
			cur = cur.DeepCopy()
			ts := metav1.NewTime(om.now())
			cur.DeletionTimestamp = &ts
			om.stamp(&cur.ObjectMeta, false)
			om.pods[k] = cur
		}
		return nil
	}
	om.writes++
	delete(om.pods, k)
	om.collectClaimsOf(cur.UID)
	return nil
}

func (om *fakeObjectManager) PatchPod(_ context.Context, namespace, name string, patch []byte) (*v1.Pod, error) {
	om.mu.Lock()
	defer om.mu.Unlock()
	if err := om.call("PatchPod"); err != nil {
		return nil, err
	}
	k := key(namespace, name)
	cur, ok := om.pods[k]
	if !ok {
		return nil, apierrors.NewNotFound(podsResource, name)
	}
	out := &v1.Pod{}
	if err := applyStrategicPatch(cur, patch, out); err != nil {
		return nil, err
	}
	if out.UID != cur.UID {
		return nil, apierrors.NewInvalid(schema.GroupKind{Kind: "Pod"}, name, nil)
	}
	om.stamp(&out.ObjectMeta, false)
	om.pods[k] = out
	return out.DeepCopy(), nil
}

func applyStrategicPatch(cur runtime.Object, patch []byte, out runtime.Object) error {
	original, err := json.Marshal(cur)
	if err != nil {
		return err
	}
	patched, err := strategicpatch.StrategicMergePatch(original, patch, out)
	if err != nil {
		return apierrors.NewBadRequest(err.Error())
	}
	return json.Unmarshal(patched, out)
}

func (om *fakeObjectManager) CreateClaim(_ context.Context, claim *v1.PersistentVolumeClaim) (*v1.PersistentVolumeClaim, error) {
	om.mu.Lock()
	defer om.mu.Unlock()
	if err := om.call("CreateClaim"); err != nil {
		return nil, err
	}
	k := key(claim.Namespace, claim.Name)
	if _, ok := om.claims[k]; ok {
		return nil, apierrors.NewAlreadyExists(claimsResource, claim.Name)
	}
	claim = claim.DeepCopy()
	om.stamp(&claim.ObjectMeta, true)
	claim.Status = v1.PersistentVolumeClaimStatus{Phase: v1.ClaimPending}
	om.claims[k] = claim
	return claim.DeepCopy(), nil
}

func (om *fakeObjectManager) UpdateClaim(_ context.Context, claim *v1.PersistentVolumeClaim) (*v1.PersistentVolumeClaim, error) {
	om.mu.Lock()
	defer om.mu.Unlock()
	if err := om.call("UpdateClaim"); err != nil {
		return nil, err
	}
	k := key(claim.Namespace, claim.Name)
	old, ok := om.claims[k]
	if !ok {
		return nil, apierrors.NewNotFound(claimsResource, claim.Name)
	}
	if old.ResourceVersion != claim.ResourceVersion {
		return nil, conflict(claimsResource, claim.Name)
	}
	claim = claim.DeepCopy()
	om.stamp(&claim.ObjectMeta, false)
	om.claims[k] = claim
	return claim.DeepCopy(), nil
}

func (om *fakeObjectManager) CreateControllerRevision(_ context.Context, revision *apps.ControllerRevision) (*apps.ControllerRevision, error) {
	om.mu.Lock()
	defer om.mu.Unlock()
	if err := om.call("CreateControllerRevision"); err != nil {
		return nil, err
	}
	k := key(revision.Namespace, revision.Name)
	if _, ok := om.revisions[k]; ok {
		return nil, apierrors.NewAlreadyExists(revisionsResource, revision.Name)
	}
	revision = revision.DeepCopy()
	om.stamp(&revision.ObjectMeta, true)
	om.revisions[k] = revision
	return revision.DeepCopy(), nil
}

func (om *fakeObjectManager) GetControllerRevision(_ context.Context, namespace, name string) (*apps.ControllerRevision, error) {
	om.mu.Lock()
	defer om.mu.Unlock()
	r, ok := om.revisions[key(namespace, name)]
	if !ok {
		return nil, apierrors.NewNotFound(revisionsResource, name)
	}
	return r.DeepCopy(), nil
}

func (om *fakeObjectManager) UpdateControllerRevision(_ context.Context, revision *apps.ControllerRevision) (*apps.ControllerRevision, error) {
	om.mu.Lock()
	defer om.mu.Unlock()
	if err := om.call("UpdateControllerRevision"); err != nil {
		return nil, err
	}
	k := key(revision.Namespace, revision.Name)
	old, ok := om.revisions[k]
	if !ok {
		return nil, apierrors.NewNotFound(revisionsResource, revision.Name)
	}
	if old.ResourceVersion != revision.ResourceVersion {
		return nil, conflict(revisionsResource, revision.Name)
	}
	revision = revision.DeepCopy()
	om.stamp(&revision.ObjectMeta, false)
	om.revisions[k] = revision
	return revision.DeepCopy(), nil
}

func (om *fakeObjectManager) PatchControllerRevision(_ context.Context, namespace, name string, patch []byte) (*apps.ControllerRevision, error) {
	om.mu.Lock()
	defer om.mu.Unlock()
	k := key(namespace, name)
	cur, ok := om.revisions[k]
	if !ok {
		return nil, apierrors.NewNotFound(revisionsResource, name)
	}
	out := &apps.ControllerRevision{}
	if err := applyStrategicPatch(cur, patch, out); err != nil {
		return nil, err
	}
	om.stamp(&out.ObjectMeta, false)
	om.revisions[k] = out
	return out.DeepCopy(), nil
}

func (om *fakeObjectManager) DeleteControllerRevision(_ context.Context, revision *apps.ControllerRevision) error {
	om.mu.Lock()
	defer om.mu.Unlock()
	if err := om.call("DeleteControllerRevision"); err != nil {
		return err
	}
	k := key(revision.Namespace, revision.Name)
	if _, ok := om.revisions[k]; !ok {
		return apierrors.NewNotFound(revisionsResource, revision.Name)
	}
	om.writes++
	delete(om.revisions, k)
	return nil
}

func (om *fakeObjectManager) GetStatefulSet(_ context.Context, namespace, name string) (*apps.StatefulSet, error) {
	om.mu.Lock()
	defer om.mu.Unlock()
	set, ok := om.sets[key(namespace, name)]
	if !ok {
		return nil, apierrors.NewNotFound(setsResource, name)
	}
	return set.DeepCopy(), nil
}

func (om *fakeObjectManager) UpdateStatefulSetStatus(_ context.Context, set *apps.StatefulSet) (*apps.StatefulSet, error) {
	om.mu.Lock()
	defer om.mu.Unlock()
	if err := om.call("UpdateStatefulSetStatus"); err != nil {
		return nil, err
	}
	k := key(set.Namespace, set.Name)
	old, ok := om.sets[k]
	if !ok {
		return nil, apierrors.NewNotFound(setsResource, set.Name)
	}
	if old.ResourceVersion != set.ResourceVersion {
		return nil, conflict(setsResource, set.Name)
	}
	updated := old.DeepCopy()
	updated.Status = *set.Status.DeepCopy()
	om.stamp(&updated.ObjectMeta, false)
	om.sets[k] = updated
	return updated.DeepCopy(), nil
}

// Helpers the tests use to read and change the store as other actors would.

func (om *fakeObjectManager) listPods() []*v1.Pod {
	om.mu.Lock()
	defer om.mu.Unlock()
	out := make([]*v1.Pod, 0, len(om.pods))
	for _, pod := range om.pods {
		out = append(out, pod.DeepCopy())
	}
	sortByOrdinal(out)
	return out
}

func (om *fakeObjectManager) listClaims() []*v1.PersistentVolumeClaim {
	om.mu.Lock()
	defer om.mu.Unlock()
	out := make([]*v1.PersistentVolumeClaim, 0, len(om.claims))
	for _, claim := range om.claims {
		out = append(out, claim.DeepCopy())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func (om *fakeObjectManager) listRevisions() []*apps.ControllerRevision {
	om.mu.Lock()
	defer om.mu.Unlock()
	out := make([]*apps.ControllerRevision, 0, len(om.revisions))
	for _, r := range om.revisions {
		out = append(out, r.DeepCopy())
	}
	sortControllerRevisions(out)
	return out
}

func (om *fakeObjectManager) pod(namespace, name string) *v1.Pod {
	om.mu.Lock()
	defer om.mu.Unlock()
	if pod, ok := om.pods[key(namespace, name)]; ok {
		return pod.DeepCopy()
	}
	return nil
}

func (om *fakeObjectManager) claim(namespace, name string) *v1.PersistentVolumeClaim {
	om.mu.Lock()
	defer om.mu.Unlock()
	if claim, ok := om.claims[key(namespace, name)]; ok {
		return claim.DeepCopy()
	}
	return nil
}

// putPod stores pod as another actor (the kubelet, a user) would write it.
func (om *fakeObjectManager) putPod(pod *v1.Pod) {
	om.mu.Lock()
	defer om.mu.Unlock()
	pod = pod.DeepCopy()
	om.stamp(&pod.ObjectMeta, pod.UID == "")
	om.pods[key(pod.Namespace, pod.Name)] = pod
}

// removePod deletes a pod for good, as the kubelet confirming a graceful deletion does, and
// then, as the garbage collector would, the claims the pod controls.
func (om *fakeObjectManager) removePod(namespace, name string) {
	om.mu.Lock()
	defer om.mu.Unlock()
	om.writes++
	pod, ok := om.pods[key(namespace, name)]
	if !ok {
		return
	}
	delete(om.pods, key(namespace, name))
	om.collectClaimsOf(pod.UID)
}

// collectClaimsOf deletes the claims owner controls, as the garbage collector does once the
// owner is gone. The lock must be held.
func (om *fakeObjectManager) collectClaimsOf(owner types.UID) {
	for k, claim := range om.claims {
		if ref := metav1.GetControllerOfNoCopy(claim); ref != nil && ref.UID == owner {
			delete(om.claims, k)
		}
	}
}

func (om *fakeObjectManager) putClaim(claim *v1.PersistentVolumeClaim) {
	om.mu.Lock()
	defer om.mu.Unlock()
	claim = claim.DeepCopy()
	om.stamp(&claim.ObjectMeta, claim.UID == "")
	om.claims[key(claim.Namespace, claim.Name)] = claim
}

func (om *fakeObjectManager) removeClaim(namespace, name string) {
	om.mu.Lock()
	defer om.mu.Unlock()
	om.writes++
	delete(om.claims, key(namespace, name))
}

func (om *fakeObjectManager) putSet(set *apps.StatefulSet) {
	om.mu.Lock()
	defer om.mu.Unlock()
	set = set.DeepCopy()
	om.stamp(&set.ObjectMeta, set.UID == "")
	om.sets[key(set.Namespace, set.Name)] = set
}

func (om *fakeObjectManager) getSet(namespace, name string) *apps.StatefulSet {
	om.mu.Lock()
	defer om.mu.Unlock()
	return om.sets[key(namespace, name)].DeepCopy()
}

func (om *fakeObjectManager) writeCount() int {
	om.mu.Lock()
	defer om.mu.Unlock()
	return om.writes
}
