package volume

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestDefaultStorageClass(t *testing.T) {
	sc := DefaultStorageClass()
	if sc.Name != "local-path" || sc.Provisioner != "ordinal.dev/local-path" {
		t.Errorf("name %q provisioner %q", sc.Name, sc.Provisioner)
	}
	if *sc.VolumeBindingMode != storagev1.VolumeBindingWaitForFirstConsumer || *sc.ReclaimPolicy != corev1.PersistentVolumeReclaimDelete {
		t.Errorf("binding mode %v reclaim policy %v", *sc.VolumeBindingMode, *sc.ReclaimPolicy)
	}
	if sc.Annotations["storageclass.kubernetes.io/is-default-class"] != "true" || !isDefaultClass(sc) {
		t.Errorf("not marked default: %v", sc.Annotations)
	}
	if DefaultStorageClass() == sc {
		t.Error("DefaultStorageClass must return a fresh object each time")
	}
}

func TestDefaultClassName(t *testing.T) {
	at := func(name string, sec int64, annotations map[string]string) *storagev1.StorageClass {
		return &storagev1.StorageClass{ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: annotations,
			CreationTimestamp: metav1.NewTime(time.Unix(sec, 0))}}
	}
	def := map[string]string{AnnIsDefaultClass: "true"}
	beta := map[string]string{annBetaIsDefaultClass: "true"}
	off := map[string]string{AnnIsDefaultClass: "false"}
	tests := []struct {
		name    string
		classes []*storagev1.StorageClass
		want    string
	}{
		{"none", nil, ""},
		{"no class marked", []*storagev1.StorageClass{at("a", 1, nil), at("b", 2, off)}, ""},
		{"the one marked", []*storagev1.StorageClass{at("a", 1, nil), at("b", 2, def)}, "b"},
		{"the beta annotation counts", []*storagev1.StorageClass{at("a", 1, beta)}, "a"},
		{"the newest of several", []*storagev1.StorageClass{at("old", 1, def), at("new", 5, def), at("mid", 3, beta)}, "new"},
		{"the first name on a tie", []*storagev1.StorageClass{at("zeta", 1, def), at("alpha", 1, def)}, "alpha"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := defaultClassName(tt.classes); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
