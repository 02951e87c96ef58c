package printers

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// now is the fixed clock every test table is built at.
var now = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

// ago is a timestamp d before now.
func ago(d time.Duration) metav1.Time { return metav1.NewTime(now.Add(-d)) }

func agoPtr(d time.Duration) *metav1.Time { t := ago(d); return &t }

func ptr[T any](v T) *T { return &v }

// tableOf builds the table for obj and checks what every table must hold: a
// cell per column in every row, cells that survive DeepCopy and JSON (the
// apiserver does both), and each row pointing at the object it shows.
func tableOf(t *testing.T, obj runtime.Object) *metav1.Table {
	t.Helper()
	tbl, err := Table(obj, now)
	if err != nil {
		t.Fatalf("Table(%T): %v", obj, err)
	}
	for i, r := range tbl.Rows {
		if len(r.Cells) != len(tbl.ColumnDefinitions) {
			t.Fatalf("row %d has %d cells for %d columns: %#v", i, len(r.Cells), len(tbl.ColumnDefinitions), r.Cells)
		}
		if r.Object.Object == nil {
			t.Fatalf("row %d has no object", i)
		}
	}
	func() {
		defer func() {
			if p := recover(); p != nil {
				t.Fatalf("Table.DeepCopy panicked, a cell is not a JSON value: %v", p)
			}
		}()
		tbl.DeepCopy()
	}()
	if _, err := json.Marshal(tbl); err != nil {
		t.Fatalf("marshal table: %v", err)
	}
	return tbl
}

// cellsOf is the one row of obj's table.
func cellsOf(t *testing.T, obj runtime.Object) []interface{} {
	t.Helper()
	tbl := tableOf(t, obj)
	if len(tbl.Rows) != 1 {
		t.Fatalf("got %d rows, want 1", len(tbl.Rows))
	}
	return tbl.Rows[0].Cells
}

// headers names the columns as kubectl shows them, marking -o wide ones
// with a trailing "+" so a test states priority and order at once.
func headers(tbl *metav1.Table) []string {
	var out []string
	for _, c := range tbl.ColumnDefinitions {
		name := c.Name
		if c.Priority > 0 {
			name += "+"
		}
		out = append(out, name)
	}
	return out
}

func assertHeaders(t *testing.T, obj runtime.Object, want ...string) {
	t.Helper()
	tbl := tableOf(t, obj)
	if got := headers(tbl); !reflect.DeepEqual(got, want) {
		t.Errorf("columns\n got %q\nwant %q", got, want)
	}
	for _, c := range tbl.ColumnDefinitions {
		if c.Type == "" || c.Description == "" {
			t.Errorf("column %q lacks type or description: %+v", c.Name, c)
		}
		if (c.Format == "name") != (c.Name == "Name") {
			t.Errorf("column %q has format %q", c.Name, c.Format)
		}
	}
}

func assertCells(t *testing.T, obj runtime.Object, want ...interface{}) {
	t.Helper()
	if got := cellsOf(t, obj); !reflect.DeepEqual(got, want) {
		t.Errorf("cells\n got %#v\nwant %#v", got, want)
	}
}
