package validation

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/utils/ptr"
)

func TestObjectMeta(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*corev1.ConfigMap)
		want   []string
	}{
		{"valid", func(*corev1.ConfigMap) {}, nil},
		{"generateName only", func(c *corev1.ConfigMap) { c.Name = ""; c.GenerateName = "cfg-" }, []string{
			"metadata.name: Required value: name or generateName is required",
		}},
		{"name missing", func(c *corev1.ConfigMap) { c.Name = "" }, []string{
			"metadata.name: Required value: name or generateName is required",
		}},
		{"bad name", func(c *corev1.ConfigMap) { c.Name = "Bad_Name" }, []string{
			`metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
		}},
		{"bad generateName", func(c *corev1.ConfigMap) { c.GenerateName = "UP-" }, []string{
			`metadata.generateName: Invalid value: "UP-": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
		}},
		{"bad namespace", func(c *corev1.ConfigMap) { c.Namespace = "My.NS" }, []string{
			`metadata.namespace: Invalid value: "My.NS": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
		}},
		{"bad label key", func(c *corev1.ConfigMap) { c.Labels = map[string]string{"a b": "ok"} }, []string{
			`metadata.labels: Invalid value: "a b": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
		}},
		{"bad label value", func(c *corev1.ConfigMap) { c.Labels = map[string]string{"k": "v v"} }, []string{
			`metadata.labels: Invalid value: "v v": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`,
		}},
		{"annotations too big", func(c *corev1.ConfigMap) {
			c.Annotations = map[string]string{"big": strings.Repeat("x", 256*1024)}
		}, []string{"metadata.annotations: Too long: may not be more than 262144 bytes"}},
		{"owner reference fields", func(c *corev1.ConfigMap) {
			c.OwnerReferences = []metav1.OwnerReference{{}}
		}, []string{
			`metadata.ownerReferences.apiVersion: Invalid value: "": version must not be empty`,
			`metadata.ownerReferences.kind: Invalid value: "": kind must not be empty`,
			`metadata.ownerReferences.name: Invalid value: "": name must not be empty`,
			`metadata.ownerReferences.uid: Invalid value: "": uid must not be empty`,
		}},
		{"two controllers", func(c *corev1.ConfigMap) {
			c.OwnerReferences = []metav1.OwnerReference{
				{APIVersion: "apps/v1", Kind: "StatefulSet", Name: "a", UID: "1", Controller: ptr.To(true)},
				{APIVersion: "apps/v1", Kind: "StatefulSet", Name: "b", UID: "2", Controller: ptr.To(true)},
			}
		}, nil /* checked below: the value is a long struct dump */},
		{"finalizer not qualified", func(c *corev1.ConfigMap) { c.Finalizers = []string{"custom"} }, []string{
			`metadata.finalizers[0]: Invalid value: "custom": name is neither a standard finalizer name nor is it fully qualified`,
		}},
		{"standard and qualified finalizers", func(c *corev1.ConfigMap) {
			c.Finalizers = []string{"orphan", "example.com/cleanup", "kubernetes"}
		}, nil},
		{"orphan and foreground", func(c *corev1.ConfigMap) { c.Finalizers = []string{"orphan", "foregroundDeletion"} }, []string{
			`metadata.finalizers: Invalid value: []string{"orphan", "foregroundDeletion"}: finalizer orphan and foregroundDeletion cannot be both set`,
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cfg", Namespace: "default"}}
			tc.mutate(cm)
			errs := Validate(cm)
			if tc.name == "two controllers" {
				if len(errs) != 1 || !strings.HasSuffix(errs[0].Error(), `Only one reference can have Controller set to true. Found "true" in references for StatefulSet/a and StatefulSet/b`) {
					t.Fatalf("got %v", errs)
				}
				return
			}
			expectErrors(t, errs, tc.want...)
		})
	}
}

func TestObjectMetaClusterScoped(t *testing.T) {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "team-a", Namespace: "default"}}
	expectErrors(t, Validate(ns), "metadata.namespace: Forbidden: not allowed on this type")
}

func TestObjectMetaUpdate(t *testing.T) {
	old := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cfg", Namespace: "default", Finalizers: []string{"example.com/a"}}}
	now := metav1.Now()
	old.DeletionTimestamp = &now
	cm := old.DeepCopy()
	cm.Finalizers = append(cm.Finalizers, "example.com/b")
	expectErrors(t, ValidateUpdate(cm, old),
		`metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"example.com/b"}`)

	// Removing finalizers from a deleting object is how deletion completes.
	cm = old.DeepCopy()
	cm.Finalizers = nil
	expectErrors(t, ValidateUpdate(cm, old))
}

func TestUnknownKindGetsMetaChecks(t *testing.T) {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion("example.com/v1")
	u.SetKind("Widget")
	u.SetName("Not_Valid")
	u.SetFinalizers([]string{"custom"}) // custom resources may use unqualified finalizers
	errs := Validate(u)
	if len(errs) != 1 || errs[0].Field != "metadata.name" {
		t.Fatalf("got %v", errs)
	}
	old := u.DeepCopy()
	u.SetLabels(map[string]string{"bad key": "x"})
	if errs := ValidateUpdate(u, old); len(errs) != 1 || errs[0].Field != "metadata.labels" {
		t.Fatalf("got %v", errs)
	}
}

func TestMismatchedTypesOnUpdate(t *testing.T) {
	errs := ValidateUpdate(&corev1.ConfigMap{}, &corev1.Secret{})
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "cannot compare") {
		t.Fatalf("got %v", errs)
	}
}
