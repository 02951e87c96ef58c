package garbagecollector

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/metadata"
	metadatafake "k8s.io/client-go/metadata/fake"
	"k8s.io/utils/ptr"
)

// fakeServer is a metadata client over one pod that enforces the uid and resourceVersion
// preconditions the collector relies on (client-go's fake ignores them), and records every
// write.
type fakeServer struct {
	t      *testing.T
	fake   *metadatafake.FakeMetadataClient
	writes []string
}

func newFakeServer(t *testing.T, pod *metav1.ObjectMeta) *fakeServer {
	t.Helper()
	obj := &metav1.PartialObjectMetadata{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"}, ObjectMeta: *pod}
	scheme := metadatafake.NewTestScheme()
	scheme.AddKnownTypeWithName(obj.GroupVersionKind(), &metav1.PartialObjectMetadata{})
	scheme.AddKnownTypeWithName(obj.GroupVersionKind().GroupVersion().WithKind("PodList"), &metav1.PartialObjectMetadataList{})
	return &fakeServer{t: t, fake: metadatafake.NewSimpleMetadataClient(scheme, obj)}
}

func (s *fakeServer) collector() *GarbageCollector {
	return &GarbageCollector{metadata: checkedClient{Interface: s.fake, server: s}}
}

// checkPreconditions answers 409 as the apiserver does when uid or resourceVersion is set
// and differs from the stored pod.
func (s *fakeServer) checkPreconditions(name string, uid *types.UID, rv *string) error {
	cur := s.pod(s.t)
	if cur == nil {
		return nil
	}
	if (uid != nil && *uid != "" && *uid != cur.UID) || (rv != nil && *rv != "" && *rv != cur.ResourceVersion) {
		return apierrors.NewConflict(podsGVR.GroupResource(), name, nil)
	}
	return nil
}

type checkedClient struct {
	metadata.Interface
	server *fakeServer
}

func (c checkedClient) Resource(gvr schema.GroupVersionResource) metadata.Getter {
	return checkedGetter{Getter: c.Interface.Resource(gvr), server: c.server}
}

type checkedGetter struct {
	metadata.Getter
	server *fakeServer
}

func (g checkedGetter) Namespace(ns string) metadata.ResourceInterface {
	return checkedResource{ResourceInterface: g.Getter.Namespace(ns), server: g.server}
}

type checkedResource struct {
	metadata.ResourceInterface
	server *fakeServer
}

func (r checkedResource) Delete(ctx context.Context, name string, opts metav1.DeleteOptions, sub ...string) error {
	var uid *types.UID
	var rv *string
	if p := opts.Preconditions; p != nil {
		uid, rv = p.UID, p.ResourceVersion
		r.server.writes = append(r.server.writes, "delete at "+ptr.Deref(rv, ""))
	}
	if err := r.server.checkPreconditions(name, uid, rv); err != nil {
		return err
	}
	return r.ResourceInterface.Delete(ctx, name, opts, sub...)
}

func (r checkedResource) Patch(ctx context.Context, name string, pt types.PatchType, data []byte, opts metav1.PatchOptions, sub ...string) (*metav1.PartialObjectMetadata, error) {
	r.server.writes = append(r.server.writes, string(data))
	var body metadataPatch
	if err := json.Unmarshal(data, &body); err != nil {
		r.server.t.Fatalf("patch is not a metadata merge patch: %v", err)
	}
	if err := r.server.checkPreconditions(name, &body.Metadata.UID, &body.Metadata.ResourceVersion); err != nil {
		return nil, err
	}
	return r.ResourceInterface.Patch(ctx, name, pt, data, opts, sub...)
}

func (s *fakeServer) pod(t *testing.T) *metav1.PartialObjectMetadata {
	t.Helper()
	o, err := s.fake.Tracker().Get(podsGVR, "demo", "web-0")
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return o.(*metav1.PartialObjectMetadata)
}

// expect checks whether the pod is still there and which writes reached the server.
func (s *fakeServer) expect(t *testing.T, podLeft bool, writes ...string) {
	t.Helper()
	if left := s.pod(t) != nil; left != podLeft {
		t.Fatalf("pod left = %v, want %v", left, podLeft)
	}
	if !slices.Equal(s.writes, writes) {
		t.Fatalf("writes = %q, want %q", s.writes, writes)
	}
}

func webPod(rv string, owners ...metav1.OwnerReference) *metav1.ObjectMeta {
	return &metav1.ObjectMeta{Name: "web-0", Namespace: "demo", UID: "pod-uid", ResourceVersion: rv, OwnerReferences: owners}
}

func decided(m *metav1.ObjectMeta) node {
	return node{
		id:       objectID{resource: podsGVR, namespace: m.Namespace, name: m.Name, uid: m.UID},
		observed: true, resourceVersion: m.ResourceVersion, owners: m.OwnerReferences,
	}
}

func TestDeleteObject(t *testing.T) {
	ctx := context.Background()
	rs := ref("rs", true)
	background := metav1.DeletePropagationBackground

	t.Run("at the version decided on", func(t *testing.T) {
		s := newFakeServer(t, webPod("5", rs))
		if err := s.collector().deleteObject(ctx, decided(webPod("5", rs)), background); err != nil {
			t.Fatal(err)
		}
		s.expect(t, false, "delete at 5")
	})
	t.Run("stale version, same owners: deleted at the live version", func(t *testing.T) {
		s := newFakeServer(t, webPod("7", rs))
		if err := s.collector().deleteObject(ctx, decided(webPod("5", rs)), background); err != nil {
			t.Fatal(err)
		}
		s.expect(t, false, "delete at 5", "delete at 7")
	})
	t.Run("adopted meanwhile: kept, and the decision is made again", func(t *testing.T) {
		s := newFakeServer(t, webPod("7", rs, ref("new-owner", true)))
		err := s.collector().deleteObject(ctx, decided(webPod("5", rs)), background)
		if !apierrors.IsConflict(err) {
			t.Fatalf("err = %v, want a conflict", err)
		}
		s.expect(t, true, "delete at 5")
	})
	t.Run("already gone", func(t *testing.T) {
		s := newFakeServer(t, &metav1.ObjectMeta{Name: "other", Namespace: "demo", UID: "x"})
		if err := s.collector().deleteObject(ctx, decided(webPod("5", rs)), background); err != nil {
			t.Fatal(err)
		}
	})
}

func TestUpdateMetadata(t *testing.T) {
	ctx := context.Background()
	id := decided(webPod("")).id

	t.Run("only the named references go", func(t *testing.T) {
		s := newFakeServer(t, webPod("3", ref("a", true), ref("b", false)))
		if err := s.collector().removeOwnerRefs(ctx, id, []types.UID{"b"}); err != nil {
			t.Fatal(err)
		}
		got := s.pod(t).OwnerReferences
		if len(got) != 1 || got[0].UID != "a" {
			t.Fatalf("ownerReferences = %v", got)
		}
	})
	t.Run("the last reference goes and the field with it", func(t *testing.T) {
		s := newFakeServer(t, webPod("3", ref("a", true)))
		if err := s.collector().removeOwnerRefs(ctx, id, []types.UID{"a"}); err != nil {
			t.Fatal(err)
		}
		if got := s.pod(t).OwnerReferences; len(got) != 0 {
			t.Fatalf("ownerReferences = %v", got)
		}
		var body map[string]map[string]any
		if err := json.Unmarshal([]byte(s.writes[0]), &body); err != nil {
			t.Fatal(err)
		}
		if v, ok := body["metadata"]["ownerReferences"]; !ok || v != nil {
			t.Fatalf("patch %v: want ownerReferences null", body)
		}
		if body["metadata"]["uid"] != "pod-uid" || body["metadata"]["resourceVersion"] != "3" {
			t.Fatalf("patch %v: want uid and resourceVersion preconditions", body)
		}
	})
	t.Run("nothing to change: no write", func(t *testing.T) {
		s := newFakeServer(t, webPod("3", ref("a", true)))
		if err := s.collector().removeOwnerRefs(ctx, id, []types.UID{"zzz"}); err != nil {
			t.Fatal(err)
		}
		if err := s.collector().removeFinalizer(ctx, id, orphanFinalizer); err != nil {
			t.Fatal(err)
		}
		if len(s.writes) != 0 {
			t.Fatalf("writes: %v", s.writes)
		}
	})
	t.Run("unblock keeps the references", func(t *testing.T) {
		s := newFakeServer(t, webPod("3", ref("a", true), ref("b", false)))
		if err := s.collector().unblockOwnerRefs(ctx, id); err != nil {
			t.Fatal(err)
		}
		got := s.pod(t).OwnerReferences
		if len(got) != 2 || boolValue(got[0].BlockOwnerDeletion) || boolValue(got[1].BlockOwnerDeletion) {
			t.Fatalf("ownerReferences = %v", got)
		}
	})
	t.Run("finalizer removed, others kept", func(t *testing.T) {
		pod := webPod("3")
		pod.Finalizers = []string{"example.com/x", foregroundFinalizer}
		s := newFakeServer(t, pod)
		if err := s.collector().removeFinalizer(ctx, id, foregroundFinalizer); err != nil {
			t.Fatal(err)
		}
		if got := s.pod(t).Finalizers; len(got) != 1 || got[0] != "example.com/x" {
			t.Fatalf("finalizers = %v", got)
		}
	})
	t.Run("same name, other UID: not ours to change", func(t *testing.T) {
		pod := webPod("3", ref("a", true))
		pod.UID = "someone-else"
		s := newFakeServer(t, pod)
		if err := s.collector().removeOwnerRefs(ctx, id, []types.UID{"a"}); err != nil {
			t.Fatal(err)
		}
		if len(s.writes) != 0 {
			t.Fatalf("writes: %v", s.writes)
		}
	})
}
