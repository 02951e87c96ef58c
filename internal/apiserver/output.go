package apiserver

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer/json"
	"k8s.io/client-go/kubernetes/scheme"

	"ordinal.dev/ordinal/internal/registry/printers"
)

var jsonSerializer = json.NewSerializerWithOptions(json.DefaultMetaFactory, scheme.Scheme, scheme.Scheme, json.SerializerOptions{})

const (
	contentTypeJSON  = "application/json"
	contentTypeTable = "application/json;as=Table;v=v1;g=meta.k8s.io"
)

// outputFormat is what the client asked for in Accept: plain objects, server-side tables
// (with includeObject None, Metadata or Object for the rows), or metadata only
// (PartialObjectMetadata, what client-go's metadata client and informers ask for).
type outputFormat struct {
	table         bool
	metadataOnly  bool
	includeObject metav1.IncludeObjectPolicy
}

func negotiate(r *http.Request) outputFormat {
	f := outputFormat{includeObject: metav1.IncludeMetadata}
	for _, accept := range strings.Split(r.Header.Get("Accept"), ",") {
		params := strings.Split(accept, ";")
		mediaType := strings.TrimSpace(params[0])
		var as, g, v string
		for _, p := range params[1:] {
			k, val, _ := strings.Cut(strings.TrimSpace(p), "=")
			switch k {
			case "as":
				as = val
			case "g":
				g = val
			case "v":
				v = val
			}
		}
		if mediaType == "application/json" && as == "Table" && g == "meta.k8s.io" && (v == "v1" || v == "v1beta1") {
			f.table = true
			break
		}
		if mediaType == "application/json" && (as == "PartialObjectMetadata" || as == "PartialObjectMetadataList") && g == "meta.k8s.io" && (v == "v1" || v == "v1beta1") {
			f.metadataOnly = true
			break
		}
		if as == "" && (mediaType == "application/json" || mediaType == "*/*" || strings.HasPrefix(mediaType, "application/vnd.kubernetes.protobuf")) {
			break
		}
	}
	if p := metav1.IncludeObjectPolicy(r.URL.Query().Get("includeObject")); p != "" {
		f.includeObject = p
	}
	return f
}

// encode marshals obj as JSON with its apiVersion and kind.
func encode(obj runtime.Object) ([]byte, error) {
	var buf bytes.Buffer
	if err := jsonSerializer.Encode(obj, &buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// toPartial reduces obj (an object or a list) to its metadata.
func toPartial(obj runtime.Object) (runtime.Object, error) {
	if meta.IsListType(obj) {
		items, err := meta.ExtractList(obj)
		if err != nil {
			return nil, err
		}
		lm, err := meta.ListAccessor(obj)
		if err != nil {
			return nil, err
		}
		list := &metav1.PartialObjectMetadataList{
			TypeMeta: metav1.TypeMeta{APIVersion: "meta.k8s.io/v1", Kind: "PartialObjectMetadataList"},
			ListMeta: metav1.ListMeta{ResourceVersion: lm.GetResourceVersion(), Continue: lm.GetContinue(), RemainingItemCount: lm.GetRemainingItemCount()},
			Items:    make([]metav1.PartialObjectMetadata, 0, len(items)),
		}
		for _, item := range items {
			p, err := partialOf(item)
			if err != nil {
				return nil, err
			}
			p.TypeMeta = metav1.TypeMeta{}
			list.Items = append(list.Items, *p)
		}
		return list, nil
	}
	return partialOf(obj)
}

func partialOf(obj runtime.Object) (*metav1.PartialObjectMetadata, error) {
	om, ok := obj.(metav1.ObjectMetaAccessor)
	if !ok {
		return nil, fmt.Errorf("%T has no object metadata", obj)
	}
	return &metav1.PartialObjectMetadata{
		TypeMeta:   metav1.TypeMeta{APIVersion: "meta.k8s.io/v1", Kind: "PartialObjectMetadata"},
		ObjectMeta: *om.GetObjectMeta().(*metav1.ObjectMeta),
	}, nil
}

// toTable renders obj (an object or a list) as a metav1.Table, its rows carrying the object as
// the client asked.
func toTable(obj runtime.Object, include metav1.IncludeObjectPolicy, now nowFunc) (*metav1.Table, error) {
	table, err := printers.Table(obj, now())
	if err != nil {
		return nil, err
	}
	for i := range table.Rows {
		row := &table.Rows[i]
		item := row.Object.Object
		switch include {
		case metav1.IncludeNone:
			row.Object = runtime.RawExtension{}
		case metav1.IncludeObject:
			if item != nil && item.GetObjectKind().GroupVersionKind().Empty() {
				if kinds, _, err := scheme.Scheme.ObjectKinds(item); err == nil {
					item.GetObjectKind().SetGroupVersionKind(kinds[0])
				}
			}
		default:
			if item == nil {
				continue
			}
			partial, err := partialOf(item)
			if err != nil {
				return nil, err
			}
			row.Object = runtime.RawExtension{Object: partial}
		}
	}
	if lm, err := meta.ListAccessor(obj); err == nil {
		table.ResourceVersion = lm.GetResourceVersion()
		table.Continue = lm.GetContinue()
		table.RemainingItemCount = lm.GetRemainingItemCount()
	} else if acc, err := meta.Accessor(obj); err == nil {
		table.ResourceVersion = acc.GetResourceVersion()
	}
	table.TypeMeta = metav1.TypeMeta{APIVersion: "meta.k8s.io/v1", Kind: "Table"}
	return table, nil
}

// writeObject answers with obj in the negotiated format.
func (s *Server) writeObject(w http.ResponseWriter, r *http.Request, code int, obj runtime.Object) {
	contentType := contentTypeJSON
	if _, isStatus := obj.(*metav1.Status); !isStatus {
		var err error
		obj, contentType, err = s.render(negotiate(r), obj)
		if err != nil {
			s.writeError(w, r, apierrors.NewInternalError(err))
			return
		}
	}
	data, err := encode(obj)
	if err != nil {
		s.writeError(w, r, apierrors.NewInternalError(err))
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(code)
	if r.Method != http.MethodHead {
		w.Write(data)
	}
}

// render converts obj to the negotiated form and names its content type.
func (s *Server) render(f outputFormat, obj runtime.Object) (runtime.Object, string, error) {
	switch {
	case f.table:
		table, err := toTable(obj, f.includeObject, s.now)
		return table, contentTypeTable, err
	case f.metadataOnly:
		p, err := toPartial(obj)
		return p, contentTypeJSON, err
	}
	return obj, contentTypeJSON, nil
}

// writeError answers with the Status for err.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var apiStatus apierrors.APIStatus
	if !errors.As(err, &apiStatus) {
		apiStatus = apierrors.NewInternalError(err)
	}
	status := apiStatus.Status()
	status.TypeMeta = metav1.TypeMeta{Kind: "Status", APIVersion: "v1"}
	if status.Status == "" {
		status.Status = metav1.StatusFailure
	}
	code := int(status.Code)
	if code == 0 {
		code = http.StatusInternalServerError
	}
	data, encErr := encode(&status)
	if encErr != nil {
		http.Error(w, fmt.Sprintf("encoding error status: %v", encErr), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", contentTypeJSON)
	w.WriteHeader(code)
	w.Write(data)
}

func addWarnings(w http.ResponseWriter, warnings []string) {
	for _, msg := range warnings {
		w.Header().Add("Warning", fmt.Sprintf("299 - %q", msg))
	}
}
