package printers

import (
	"net/http"
	"reflect"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

func TestEveryPrinterFillsEveryColumn(t *testing.T) {
	for typ := range printersByType {
		t.Run(typ.String(), func(t *testing.T) {
			// A zero object is the harshest input: nil pointers and empty slices everywhere.
			obj := reflect.New(typ.Elem()).Interface().(runtime.Object)
			tbl := tableOf(t, obj)
			if len(tbl.Rows) != 1 {
				t.Fatalf("got %d rows", len(tbl.Rows))
			}
			names := 0
			for _, c := range tbl.ColumnDefinitions {
				if c.Format == "name" {
					names++
				}
			}
			if names != 1 {
				t.Errorf("%d name columns, want 1", names)
			}
		})
	}
}

func TestListGetsItemColumnsAndRowsInOrder(t *testing.T) {
	list := &corev1.ConfigMapList{
		ListMeta: metav1.ListMeta{ResourceVersion: "42", Continue: "next", RemainingItemCount: ptr(int64(7))},
		Items: []corev1.ConfigMap{
			{ObjectMeta: metav1.ObjectMeta{Name: "a", CreationTimestamp: ago(time.Hour)}},
			{ObjectMeta: metav1.ObjectMeta{Name: "b", CreationTimestamp: ago(time.Minute)}, Data: map[string]string{"k": "v"}},
		},
	}
	tbl := tableOf(t, list)
	if got := headers(tbl); !reflect.DeepEqual(got, []string{"Name", "Data", "Age"}) {
		t.Fatalf("columns %q", got)
	}
	want := [][]interface{}{{"a", int64(0), "60m"}, {"b", int64(1), "60s"}}
	for i, r := range tbl.Rows {
		if !reflect.DeepEqual(r.Cells, want[i]) {
			t.Errorf("row %d: %#v, want %#v", i, r.Cells, want[i])
		}
		if r.Object.Object != &list.Items[i] {
			t.Errorf("row %d object is %p, want the list item %p", i, r.Object.Object, &list.Items[i])
		}
	}
	if tbl.ResourceVersion != "42" || tbl.Continue != "next" || tbl.RemainingItemCount == nil || *tbl.RemainingItemCount != 7 {
		t.Errorf("list meta not copied: %+v", tbl.ListMeta)
	}
}

func TestEmptyListHasColumnsAndNoRows(t *testing.T) {
	tbl := tableOf(t, &appsv1.StatefulSetList{ListMeta: metav1.ListMeta{ResourceVersion: "9"}})
	if got := headers(tbl); !reflect.DeepEqual(got, []string{"Name", "Ready", "Age", "Containers+", "Images+"}) {
		t.Errorf("columns %q", got)
	}
	if tbl.Rows == nil || len(tbl.Rows) != 0 {
		t.Errorf("rows = %#v, want empty and non-nil so that JSON says []", tbl.Rows)
	}
	if tbl.ResourceVersion != "9" {
		t.Errorf("resourceVersion %q", tbl.ResourceVersion)
	}
}

func TestSingleObjectCarriesItsResourceVersion(t *testing.T) {
	tbl := tableOf(t, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "x", ResourceVersion: "5"}})
	if tbl.ResourceVersion != "5" {
		t.Errorf("resourceVersion %q", tbl.ResourceVersion)
	}
}

func TestUnknownKindGetsDefaultTable(t *testing.T) {
	role := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{
		Name:              "reader",
		CreationTimestamp: metav1.NewTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("CET", 3600))),
	}}
	tbl := tableOf(t, role)
	want := []metav1.TableColumnDefinition{
		{Name: "Name", Type: "string", Format: "name", Description: objectMetaDoc["name"]},
		{Name: "Created At", Type: "date", Description: objectMetaDoc["creationTimestamp"]},
	}
	if !reflect.DeepEqual(tbl.ColumnDefinitions, want) {
		t.Errorf("columns %+v", tbl.ColumnDefinitions)
	}
	// Created At is an RFC 3339 timestamp in UTC, not an age.
	if got := tbl.Rows[0].Cells; !reflect.DeepEqual(got, []interface{}{"reader", "2026-01-02T02:04:05Z"}) {
		t.Errorf("cells %#v", got)
	}
}

func TestUnknownListAndUnstructuredGetDefaultTable(t *testing.T) {
	tbl := tableOf(t, &rbacv1.RoleList{Items: []rbacv1.Role{{ObjectMeta: metav1.ObjectMeta{Name: "a"}}, {ObjectMeta: metav1.ObjectMeta{Name: "b"}}}})
	if len(tbl.Rows) != 2 || tbl.Rows[1].Cells[0] != "b" || tbl.Rows[1].Cells[1] != "0001-01-01T00:00:00Z" {
		t.Errorf("rows %#v", tbl.Rows)
	}

	u := &unstructured.UnstructuredList{Items: []unstructured.Unstructured{{Object: map[string]interface{}{
		"apiVersion": "example.com/v1", "kind": "Widget",
		"metadata": map[string]interface{}{"name": "w", "creationTimestamp": "2026-11-21T11:00:00Z"},
	}}}}
	tbl = tableOf(t, u)
	if got := tbl.Rows[0].Cells; !reflect.DeepEqual(got, []interface{}{"w", "2026-11-21T11:00:00Z"}) {
		t.Errorf("cells %#v", got)
	}
}

func TestObjectWithoutMetadataIsNotAcceptable(t *testing.T) {
	_, err := Table(&metav1.Status{}, now)
	if !apierrors.IsNotAcceptable(err) || apierrors.ReasonForError(err) != "NotAcceptable" {
		t.Fatalf("err = %v", err)
	}
	if code := err.(apierrors.APIStatus).Status().Code; code != http.StatusNotAcceptable {
		t.Errorf("code %d", code)
	}
}

func TestTablesDoNotShareColumns(t *testing.T) {
	a := tableOf(t, &corev1.Pod{})
	a.ColumnDefinitions[0].Name = "changed"
	if b := tableOf(t, &corev1.Pod{}); b.ColumnDefinitions[0].Name != "Name" {
		t.Errorf("editing one table changed the next: %q", b.ColumnDefinitions[0].Name)
	}
}
