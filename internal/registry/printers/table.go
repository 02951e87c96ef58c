package printers

import (
	"fmt"
	"net/http"
	"reflect"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// Table returns the table for obj, which is either one object (e.g. *corev1.Pod)
// or a typed list (*corev1.PodList). Each row's Object is
// runtime.RawExtension{Object: <the item>}; the caller rewrites it according to
// includeObject. now is the clock used for AGE and durations.
//
// The table always holds every column, wide ones included, as upstream's
// apiserver does. Its ListMeta carries the list's resourceVersion, continue and
// remainingItemCount (or the single object's resourceVersion).
//
// An error means obj cannot be shown as a table: a list whose items have no
// object metadata (a 406 Not Acceptable status error, as upstream), or an item
// a printer could not format.
func Table(obj runtime.Object, now time.Time) (*metav1.Table, error) {
	p, known := printerFor(obj)
	if !known {
		p = defaultPrinter
	}
	var rows []metav1.TableRow
	add := func(item runtime.Object) error {
		r, err := p.row(item, now)
		if err != nil {
			return err
		}
		rows = append(rows, r)
		return nil
	}
	if meta.IsListType(obj) {
		if err := meta.EachListItem(obj, add); err != nil {
			return nil, err
		}
	} else if err := add(obj); err != nil {
		return nil, err
	}
	if rows == nil {
		// An empty list is still a table with no rows: kubectl prints
		// "No resources found" from rows:[], not from a missing field.
		rows = []metav1.TableRow{}
	}
	// Copy the shared column definitions so a caller may edit its table freely.
	columns := append([]metav1.TableColumnDefinition(nil), p.columns...)
	t := &metav1.Table{ColumnDefinitions: columns, Rows: rows}
	copyListMeta(t, obj)
	return t, nil
}

// printer is how one kind becomes a table: its columns and, per object, a row
// with one cell per column.
type printer struct {
	columns []metav1.TableColumnDefinition
	row     func(obj runtime.Object, now time.Time) (metav1.TableRow, error)
}

// printerFor finds the printer for obj's kind, looking through a typed list to
// its item type so that even an empty list gets the kind's columns.
func printerFor(obj runtime.Object) (printer, bool) {
	t := reflect.TypeOf(obj)
	if meta.IsListType(obj) {
		itemsPtr, err := meta.GetItemsPtr(obj)
		if err != nil {
			return printer{}, false
		}
		t = reflect.TypeOf(itemsPtr).Elem().Elem()
		if t.Kind() != reflect.Pointer {
			t = reflect.PointerTo(t)
		}
	}
	p, ok := printersByType[t]
	return p, ok
}

// add registers the printer for the object type T (a pointer type such as
// *corev1.Pod). Generics keep each print function typed on its own kind.
func add[T runtime.Object](m map[reflect.Type]printer, columns []metav1.TableColumnDefinition, print func(T, time.Time) (metav1.TableRow, error)) {
	var zero T
	m[reflect.TypeOf(zero)] = printer{
		columns: columns,
		row: func(obj runtime.Object, now time.Time) (metav1.TableRow, error) {
			return print(obj.(T), now)
		},
	}
}

// defaultPrinter is upstream's default table convertor (k8s.io/apiserver
// pkg/registry/rest/table.go), used for every kind without its own printer.
var defaultPrinter = printer{
	columns: []metav1.TableColumnDefinition{
		nameColumn(),
		{Name: "Created At", Type: "date", Description: objectMetaDoc["creationTimestamp"]},
	},
	row: func(obj runtime.Object, _ time.Time) (metav1.TableRow, error) {
		m, err := meta.Accessor(obj)
		if err != nil {
			return metav1.TableRow{}, notAcceptable(obj)
		}
		return newRow(obj, m.GetName(), m.GetCreationTimestamp().UTC().Format(time.RFC3339)), nil
	},
}

// notAcceptable is upstream's answer for an object that has no metadata to
// show: 406, so that kubectl falls back to asking for the plain object.
func notAcceptable(obj runtime.Object) error {
	return &apierrors.StatusError{ErrStatus: metav1.Status{
		Status:  metav1.StatusFailure,
		Code:    http.StatusNotAcceptable,
		Reason:  metav1.StatusReasonNotAcceptable,
		Message: fmt.Sprintf("the resource %T does not support being converted to a Table", obj),
	}}
}

// copyListMeta gives the table the paging and consistency fields kubectl
// needs for --watch and chunked lists.
func copyListMeta(t *metav1.Table, obj runtime.Object) {
	if l, err := meta.ListAccessor(obj); err == nil {
		t.ResourceVersion = l.GetResourceVersion()
		t.Continue = l.GetContinue()
		t.RemainingItemCount = l.GetRemainingItemCount()
		return
	}
	if c, err := meta.CommonAccessor(obj); err == nil {
		t.ResourceVersion = c.GetResourceVersion()
	}
}

// newRow is one table row: cells in column order and the object it shows.
// Cells must be JSON values (string, int64, bool): Table.DeepCopy panics on
// anything else.
func newRow(obj runtime.Object, cells ...interface{}) metav1.TableRow {
	return metav1.TableRow{Cells: cells, Object: runtime.RawExtension{Object: obj}}
}
