package volume

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// sharedClass is a shared-path class with the given parameters.
func sharedClass(name string, params map[string]string) *storagev1.StorageClass {
	c := newClass(name, SharedPathProvisioner, storagev1.VolumeBindingImmediate)
	c.Parameters = params
	return c
}

func TestSharedPathStorageClass(t *testing.T) {
	sc := SharedPathStorageClass("nfs-client", "/srv/shared")
	want := &storagev1.StorageClass{
		TypeMeta:          metav1.TypeMeta{APIVersion: "storage.k8s.io/v1", Kind: "StorageClass"},
		ObjectMeta:        metav1.ObjectMeta{Name: "nfs-client"},
		Provisioner:       "ordinal.dev/shared-path",
		Parameters:        map[string]string{"path": "/srv/shared", "archiveOnDelete": "true"},
		ReclaimPolicy:     ptr.To(corev1.PersistentVolumeReclaimDelete),
		VolumeBindingMode: ptr.To(storagev1.VolumeBindingImmediate),
	}
	if diff := cmp.Diff(want, sc); diff != "" {
		t.Errorf("class (-want +got):\n%s", diff)
	}
	if isDefaultClass(sc) {
		t.Error("the shared-path class must not be the default")
	}
	if p, err := parseSharedPathParams(sc.Parameters); err != nil || p.onDelete != onDeleteArchive {
		t.Errorf("its parameters: %+v, %v", p, err)
	}
}

func TestParseSharedPathParams(t *testing.T) {
	tests := []struct {
		name    string
		params  map[string]string
		want    sharedPathParams
		wantErr string
	}{
		{"path only: archived, as upstream by default", map[string]string{"path": "/srv/nfs"},
			sharedPathParams{root: "/srv/nfs", onDelete: "archive"}, ""},
		{"the path is cleaned", map[string]string{"path": "/srv//nfs/"},
			sharedPathParams{root: "/srv/nfs", onDelete: "archive"}, ""},
		{"archiveOnDelete false deletes", map[string]string{"path": "/s", "archiveOnDelete": "false"},
			sharedPathParams{root: "/s", onDelete: "delete"}, ""},
		{"archiveOnDelete true archives", map[string]string{"path": "/s", "archiveOnDelete": "true"},
			sharedPathParams{root: "/s", onDelete: "archive"}, ""},
		{"onDelete wins over archiveOnDelete", map[string]string{"path": "/s", "archiveOnDelete": "false", "onDelete": "retain"},
			sharedPathParams{root: "/s", onDelete: "retain"}, ""},
		{"onDelete delete", map[string]string{"path": "/s", "onDelete": "delete"},
			sharedPathParams{root: "/s", onDelete: "delete"}, ""},
		{"a pathPattern", map[string]string{"path": "/s", "pathPattern": "${.PVC.namespace}/${.PVC.name}"},
			sharedPathParams{root: "/s", pathPattern: "${.PVC.namespace}/${.PVC.name}", onDelete: "archive"}, ""},
		{"no path", map[string]string{"pathPattern": "x"}, sharedPathParams{},
			`parameter "path" is required: the shared directory, mounted at the same path on every node`},
		{"a relative path", map[string]string{"path": "srv/nfs"}, sharedPathParams{},
			`parameter "path" must be an absolute path, not "srv/nfs"`},
		{"the root", map[string]string{"path": "/"}, sharedPathParams{}, `parameter "path" must not be /`},
		{"archiveOnDelete not a boolean", map[string]string{"path": "/s", "archiveOnDelete": "yes please"}, sharedPathParams{},
			`parameter "archiveOnDelete" must be true or false, not "yes please"`},
		{"onDelete unknown", map[string]string{"path": "/s", "onDelete": "archive"}, sharedPathParams{},
			`parameter "onDelete" must be delete or retain, not "archive"`},
		{"an unknown parameter (a typo)", map[string]string{"path": "/s", "archiveOndelete": "false"}, sharedPathParams{},
			`invalid parameter "archiveOndelete": ordinal.dev/shared-path takes path, pathPattern, onDelete and archiveOnDelete`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseSharedPathParams(tt.params)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestSharedVolumeDirName(t *testing.T) {
	claim := newPVC("www-web-0", "1Gi", func(c *corev1.PersistentVolumeClaim) {
		c.Labels = map[string]string{"app": "web"}
		c.Annotations = map[string]string{"nfs.io/storage-path": "data", "evil": "../../etc"}
	})
	tests := []struct {
		name, pattern, want, wantErr string
	}{
		{"no pattern: <namespace>-<claim>-<volume>", "", "default-www-web-0-pvc-1", ""},
		{"namespace and name", "${.PVC.namespace}-${.PVC.name}", "default-www-web-0", ""},
		{"nested, from a label", "${.PVC.labels.app}/${.PVC.name}", "web/www-web-0", ""},
		{"an annotation whose key has dots and a slash", "${.PVC.namespace}/${.PVC.annotations.nfs.io/storage-path}", "default/data", ""},
		{"a missing annotation is empty; empty levels go", "${.PVC.namespace}/${.PVC.annotations.missing}/x", "default/x", ""},
		{"a pattern that comes out empty gives the default", "${.PVC.annotations.missing}", "default-www-web-0-pvc-1", ""},
		{"literal text and slashes are cleaned", "/static//./${.PVC.name}/", "static/www-web-0", ""},
		{"a value leading out of the shared directory", "x/${.PVC.annotations.evil}", "",
			`pathPattern "x/${.PVC.annotations.evil}" gives "x/../../etc", which leads out of the shared directory`},
		{"a literal ..", "../${.PVC.name}", "", `pathPattern "../${.PVC.name}" gives "../www-web-0", which leads out of the shared directory`},
		{"an unknown field", "${.PVC.uid}", "", `pathPattern "${.PVC.uid}": unknown field ${.PVC.uid} (use namespace, name, labels.<key> or annotations.<key>)`},
		{"not .PVC.", "${namespace}", "", `pathPattern "${namespace}": ${namespace} must name a field of .PVC, as ${.PVC.name} does`},
		{"unterminated", "${.PVC.name", "", `pathPattern "${.PVC.name": unterminated ${`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := sharedVolumeDirName(claim, "pvc-1", tt.pattern)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestNewSharedVolume(t *testing.T) {
	claim := newPVC("www-web-0", "2Gi", pvcClass("nfs-client"), pvcModes(corev1.ReadWriteMany))
	claim.ResourceVersion = "42"
	class := SharedPathStorageClass("nfs-client", "/srv/shared/")
	class.MountOptions = []string{"noatime"}
	got, err := newSharedVolume(claim, class, []string{"/srv/shared"})
	if err != nil {
		t.Fatal(err)
	}
	want := &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{
			Name: "pvc-uid-www-web-0",
			Annotations: map[string]string{
				"pv.kubernetes.io/provisioned-by":   "ordinal.dev/shared-path",
				"ordinal.dev/shared-path-root":      "/srv/shared",
				"ordinal.dev/shared-path-on-delete": "archive",
			},
			Finalizers: []string{"kubernetes.io/pv-protection", "external-provisioner.volume.kubernetes.io/finalizer"},
		},
		Spec: corev1.PersistentVolumeSpec{
			Capacity:    corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("2Gi")},
			AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany},
			PersistentVolumeSource: corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{
				Path: "/srv/shared/default-www-web-0-pvc-uid-www-web-0", Type: ptr.To(corev1.HostPathDirectory),
			}},
			ClaimRef: &corev1.ObjectReference{Kind: "PersistentVolumeClaim", APIVersion: "v1", Namespace: "default",
				Name: "www-web-0", UID: "uid-www-web-0", ResourceVersion: "42"},
			PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimDelete,
			StorageClassName:              "nfs-client",
			MountOptions:                  []string{"noatime"},
			VolumeMode:                    ptr.To(corev1.PersistentVolumeFilesystem),
			// No node affinity: every node mounts the share.
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("volume (-want +got):\n%s", diff)
	}
	if !IsSharedVolume(got) || IsLocalVolume(got) || LocalVolumeNode(got) != "" {
		t.Errorf("IsSharedVolume %v IsLocalVolume %v LocalVolumeNode %q", IsSharedVolume(got), IsLocalVolume(got), LocalVolumeNode(got))
	}
	for _, node := range []*corev1.Node{newNode("ordinal-sim-1"), newNode("ordinal-sim-2", "zone", "b")} {
		if !volumeAllowsNode(got, node) {
			t.Errorf("volume does not allow node %s", node.Name)
		}
	}
}

func TestNewSharedVolumeAccessModesAndPolicies(t *testing.T) {
	for _, modes := range [][]corev1.PersistentVolumeAccessMode{
		{corev1.ReadWriteOnce}, {corev1.ReadWriteMany}, {corev1.ReadOnlyMany}, {corev1.ReadWriteOnce, corev1.ReadOnlyMany},
	} {
		pv, err := newSharedVolume(newPVC("c", "1Gi", pvcModes(modes...)), SharedPathStorageClass("nfs", "/s"), []string{"/s"})
		if err != nil || !cmp.Equal(pv.Spec.AccessModes, modes) {
			t.Errorf("modes %v: got %v, %v", modes, pv, err)
		}
	}
	retain := sharedClass("keep", map[string]string{"path": "/s/team-a", "onDelete": "retain", "pathPattern": "${.PVC.name}"})
	retain.ReclaimPolicy = ptr.To(corev1.PersistentVolumeReclaimRetain)
	retain.VolumeBindingMode = ptr.To(storagev1.VolumeBindingWaitForFirstConsumer)
	pv, err := newSharedVolume(newPVC("data", "1Gi"), retain, []string{"/s"})
	if err != nil {
		t.Fatal(err)
	}
	if pv.Spec.PersistentVolumeReclaimPolicy != corev1.PersistentVolumeReclaimRetain || pv.Annotations[AnnSharedPathOnDelete] != "retain" ||
		pv.Spec.HostPath.Path != "/s/team-a/data" || pv.Annotations[AnnSharedPathRoot] != "/s/team-a" {
		t.Errorf("got %+v %+v", pv.Annotations, pv.Spec)
	}
	// Retained volumes outlive their object on purpose: no provisioner finalizer.
	if diff := cmp.Diff([]string{VolumeProtectionFinalizer}, pv.Finalizers); diff != "" {
		t.Errorf("finalizers (-want +got):\n%s", diff)
	}
}

func TestNewSharedVolumeRefuses(t *testing.T) {
	shared := []string{"/srv/shared"}
	tests := []struct {
		name   string
		claim  *corev1.PersistentVolumeClaim
		class  *storagev1.StorageClass
		shared []string
		want   string
	}{
		{"not enabled", newPVC("c", "1Gi"), SharedPathStorageClass("nfs", "/srv/shared"), nil,
			"shared-path volumes are not enabled on this control plane (no shared volume directory configured: ordinal up/server --shared-volume-dir)"},
		{"a path outside the shared volume directories", newPVC("c", "1Gi"), SharedPathStorageClass("nfs", "/etc"), shared,
			`parameter "path" is /etc, which is not below a shared volume directory of this control plane (/srv/shared)`},
		{"a path that only starts like one", newPVC("c", "1Gi"), SharedPathStorageClass("nfs", "/srv/shared-other"), shared,
			`parameter "path" is /srv/shared-other, which is not below a shared volume directory of this control plane (/srv/shared)`},
		{"no path", newPVC("c", "1Gi"), sharedClass("nfs", nil), shared,
			`parameter "path" is required: the shared directory, mounted at the same path on every node`},
		{"a selector", newPVC("c", "1Gi", pvcSelector("a", "b")), SharedPathStorageClass("nfs", "/srv/shared"), shared, "claim Selector is not supported"},
		{"block mode", newPVC("c", "1Gi", pvcBlock), SharedPathStorageClass("nfs", "/srv/shared"), shared, "block volume mode is not supported"},
		{"a bad pathPattern", newPVC("c", "1Gi"), sharedClass("nfs", map[string]string{"path": "/srv/shared", "pathPattern": "../x"}), shared,
			`pathPattern "../x" gives "../x", which leads out of the shared directory`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := newSharedVolume(tt.claim, tt.class, tt.shared)
			if err == nil || err.Error() != tt.want {
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
}

// sharedPV is a shared-path volume in root at dir, bound to default/data, Released, policy
// Delete, as the provisioner makes it.
func sharedPV(name, root, dir string, opts ...pvOption) *corev1.PersistentVolume {
	all := append([]pvOption{
		pvAnnotation(AnnProvisionedBy, SharedPathProvisioner),
		pvAnnotation(AnnSharedPathRoot, root),
		pvAnnotation(AnnSharedPathOnDelete, onDeleteDelete),
		pvFinalizers(VolumeProtectionFinalizer, ProvisionerFinalizer),
		pvPolicy(corev1.PersistentVolumeReclaimDelete),
		pvClaim("default", "data", "uid-data"),
		pvPhase(corev1.VolumeReleased),
		func(pv *corev1.PersistentVolume) {
			pv.Spec.HostPath = &corev1.HostPathVolumeSource{Path: root + "/" + dir, Type: ptr.To(corev1.HostPathDirectory)}
		},
	}, opts...)
	return newPV(name, "1Gi", all...)
}

func TestSharedVolumeLocation(t *testing.T) {
	shared := []string{"/other", "/srv/shared"}
	tests := []struct {
		name    string
		pv      *corev1.PersistentVolume
		want    sharedLocation
		wantErr string
	}{
		{"in the shared directory itself", sharedPV("pvc-1", "/srv/shared", "default-data-pvc-1"),
			sharedLocation{base: "/srv/shared", dir: "default-data-pvc-1", archive: []string{"archived-default-data-pvc-1", "archived-default-data-pvc-1-pvc-1"}}, ""},
		{"a class path below it, a nested directory: archived in the class path", sharedPV("pvc-1", "/srv/shared/team", "ns/data"),
			sharedLocation{base: "/srv/shared", dir: "team/ns/data", archive: []string{"team/archived-data", "team/archived-data-pvc-1"}}, ""},
		{"a root no longer shared", sharedPV("pvc-1", "/gone", "d"), sharedLocation{},
			"shared-path volume pvc-1 is in /gone, which is not below a shared volume directory of this control plane (/other, /srv/shared)"},
		{"a path outside its root", sharedPV("pvc-1", "/srv/shared", "../x"), sharedLocation{},
			"shared-path volume pvc-1: its path /srv/shared/../x is not inside its shared directory /srv/shared"},
		{"the root itself", sharedPV("pvc-1", "/srv/shared", "."), sharedLocation{},
			"shared-path volume pvc-1: its path /srv/shared/. is not inside its shared directory /srv/shared"},
		{"no root recorded", sharedPV("pvc-1", "", "x"), sharedLocation{},
			`shared-path volume pvc-1: annotation ordinal.dev/shared-path-root is "", not an absolute path other than /`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := sharedVolumeLocation(tt.pv, shared)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(sharedLocation{})); diff != "" {
				t.Errorf("location (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSharedOnDelete(t *testing.T) {
	for value, want := range map[string]string{"delete": "delete", "retain": "retain", "archive": "archive", "": "archive", "Delete": "archive"} {
		if got := sharedOnDelete(sharedPV("v", "/s", "d", pvAnnotation(AnnSharedPathOnDelete, value))); got != want {
			t.Errorf("annotation %q: got %q, want %q", value, got, want)
		}
	}
}
