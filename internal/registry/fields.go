package registry

import (
	"reflect"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/runtime"
)

// The k8s.io/api types share a shape: ObjectMeta, then Spec and Status (or the data itself).
// These helpers reach Spec and Status by name so that one generic update path serves every
// resource, as upstream's per-resource strategies do by hand.

func structField(obj runtime.Object, name string) (reflect.Value, bool) {
	v := reflect.ValueOf(obj)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return reflect.Value{}, false
	}
	f := v.Elem().FieldByName(name)
	return f, f.IsValid()
}

// copyField sets dst.<name> to src.<name>; it reports whether both have the field.
func copyField(dst, src runtime.Object, name string) bool {
	d, ok := structField(dst, name)
	if !ok {
		return false
	}
	s, ok := structField(src, name)
	if !ok || !d.CanSet() {
		return false
	}
	d.Set(s)
	return true
}

// fieldChanged reports whether a.<name> and b.<name> differ semantically (a nil and an empty
// map are the same; quantities compare by value).
func fieldChanged(a, b runtime.Object, name string) bool {
	av, ok := structField(a, name)
	if !ok {
		return false
	}
	bv, ok := structField(b, name)
	if !ok {
		return false
	}
	return !equality.Semantic.DeepEqual(av.Interface(), bv.Interface())
}

// clearField sets obj.<name> to its zero value.
func clearField(obj runtime.Object, name string) {
	if f, ok := structField(obj, name); ok && f.CanSet() {
		f.Set(reflect.Zero(f.Type()))
	}
}

func secondsDuration(s int64) time.Duration { return time.Duration(s) * time.Second }
