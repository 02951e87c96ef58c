package storage

import (
	"bytes"
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer/protobuf"
)

// codec turns objects into the bytes kept in etcd and back. Objects are stored as protobuf
// (smaller and several times faster to decode than JSON, which matters for large lists) with
// an empty resourceVersion; decode fills resourceVersion in from the key's mod revision.
type codec struct {
	scheme *runtime.Scheme
	proto  *protobuf.Serializer
}

func newCodec(scheme *runtime.Scheme) *codec {
	return &codec{scheme: scheme, proto: protobuf.NewSerializer(scheme, scheme)}
}

func (c *codec) encode(obj runtime.Object) ([]byte, error) {
	accessor, err := meta.Accessor(obj)
	if err != nil {
		return nil, err
	}
	if gvk := obj.GetObjectKind().GroupVersionKind(); gvk.Empty() {
		kinds, _, err := c.scheme.ObjectKinds(obj)
		if err != nil {
			return nil, err
		}
		obj.GetObjectKind().SetGroupVersionKind(kinds[0])
	}
	rv := accessor.GetResourceVersion()
	accessor.SetResourceVersion("")
	defer accessor.SetResourceVersion(rv)
	var buf bytes.Buffer
	if err := c.proto.Encode(obj, &buf); err != nil {
		return nil, fmt.Errorf("encoding %T: %w", obj, err)
	}
	return buf.Bytes(), nil
}

func (c *codec) decode(data []byte, into runtime.Object, rev int64) error {
	out, _, err := c.proto.Decode(data, nil, into)
	if err != nil {
		return err
	}
	if out != into {
		return fmt.Errorf("decoded %T, want %T", out, into)
	}
	accessor, err := meta.Accessor(into)
	if err != nil {
		return err
	}
	accessor.SetResourceVersion(formatRev(rev))
	return nil
}
