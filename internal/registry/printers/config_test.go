package printers

import (
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestConfigMapRow(t *testing.T) {
	assertHeaders(t, &corev1.ConfigMap{}, "Name", "Data", "Age")
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "nginx-conf", CreationTimestamp: ago(4 * 24 * time.Hour)},
		Data:       map[string]string{"nginx.conf": "...", "mime.types": "..."},
		BinaryData: map[string][]byte{"favicon.ico": {0}},
	}
	assertCells(t, cm, "nginx-conf", int64(3), "4d")
}

func TestSecretRow(t *testing.T) {
	assertHeaders(t, &corev1.Secret{}, "Name", "Type", "Data", "Age")
	s := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "db", CreationTimestamp: ago(time.Hour)},
		Type:       corev1.SecretTypeOpaque,
		Data:       map[string][]byte{"user": []byte("u"), "password": []byte("p")},
		StringData: map[string]string{"password": "q", "host": "db"},
	}
	assertCells(t, s, "db", "Opaque", int64(3), "60m")
}

func TestServiceAccountRow(t *testing.T) {
	assertHeaders(t, &corev1.ServiceAccount{}, "Name", "Secrets", "Age")
	assertCells(t, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default", CreationTimestamp: ago(time.Hour)}},
		"default", int64(0), "60m")
}

func TestNamespaceRow(t *testing.T) {
	assertHeaders(t, &corev1.Namespace{}, "Name", "Status", "Age")
	assertCells(t, &corev1.Namespace{
		ObjectMeta: metav1.ObjectMeta{Name: "kube-system", CreationTimestamp: ago(400 * 24 * time.Hour)},
		Status:     corev1.NamespaceStatus{Phase: corev1.NamespaceTerminating},
	}, "kube-system", "Terminating", "400d")
}

func TestLeaseRow(t *testing.T) {
	assertHeaders(t, &coordinationv1.Lease{}, "Name", "Holder", "Age")
	assertCells(t, &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Name: "node-1", CreationTimestamp: ago(2 * time.Hour)},
		Spec:       coordinationv1.LeaseSpec{HolderIdentity: ptr("node-1")},
	}, "node-1", "node-1", "120m")
	assertCells(t, &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: "free"}}, "free", "", "<unknown>")
}
