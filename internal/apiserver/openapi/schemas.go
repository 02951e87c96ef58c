package openapi

import (
	"fmt"
	"reflect"
	"sort"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/kube-openapi/pkg/builder3/util"
	"k8s.io/kube-openapi/pkg/common"
	"k8s.io/kube-openapi/pkg/spec3"
	kubeutil "k8s.io/kube-openapi/pkg/util"
	"k8s.io/kube-openapi/pkg/validation/spec"

	"ordinal.dev/ordinal/internal/apiserver/openapi/generated"
)

// gvkExtension is the vendor extension kubectl reads to find the schema of a
// kind (explain) and the PATCH operation of a kind (fieldValidation support).
const gvkExtension = "x-kubernetes-group-version-kind"

// Go type names (openapi-gen's keys) of the apimachinery types the documents
// refer to on their own, outside of any served kind.
const (
	deleteOptionsType = "k8s.io/apimachinery/pkg/apis/meta/v1.DeleteOptions"
	statusType        = "k8s.io/apimachinery/pkg/apis/meta/v1.Status"
	patchType         = "k8s.io/apimachinery/pkg/apis/meta/v1.Patch"
	watchEventType    = "k8s.io/apimachinery/pkg/apis/meta/v1.WatchEvent"
	listOptionsType   = "k8s.io/apimachinery/pkg/apis/meta/v1.ListOptions"
	createOptionsType = "k8s.io/apimachinery/pkg/apis/meta/v1.CreateOptions"
	updateOptionsType = "k8s.io/apimachinery/pkg/apis/meta/v1.UpdateOptions"
	patchOptionsType  = "k8s.io/apimachinery/pkg/apis/meta/v1.PatchOptions"
	podLogOptionsType = "k8s.io/api/core/v1.PodLogOptions"
)

// groupVersionKind is the JSON shape of one x-kubernetes-group-version-kind entry.
type groupVersionKind struct {
	Group   string `json:"group"`
	Kind    string `json:"kind"`
	Version string `json:"version"`
}

// schemaName is the component name upstream uses for a Go type: the package
// path with its domain reversed, e.g. io.k8s.api.apps.v1.Deployment.
func schemaName(goType string) string { return kubeutil.ToRESTFriendlyName(goType) }

func schemaRef(goType string) spec.Ref {
	return spec.MustCreateRef("#/components/schemas/" + common.EscapeJsonPointer(schemaName(goType)))
}

// goTypeName is the Go type of a kind, named the way openapi-gen keys its
// definitions. client-go's scheme is the map because it knows every kind of
// k8s.io/api and, through metav1.AddToGroupVersion, the meta kinds
// (DeleteOptions, WatchEvent, Status, ...) that each group-version serves.
func goTypeName(gvk schema.GroupVersionKind) (string, bool) {
	t, ok := scheme.Scheme.AllKnownTypes()[gvk]
	if !ok {
		return "", false
	}
	return goTypeNameOf(t), true
}

func goTypeNameOf(t reflect.Type) string { return t.PkgPath() + "." + t.Name() }

// schemaSet hands out the component schemas of openapi-gen's definitions.
// Documents share them read-only.
type schemaSet struct {
	definitions map[string]common.OpenAPIDefinition
	gvks        map[string][]groupVersionKind // by Go type name
	components  map[string]*spec.Schema       // by Go type name, filled on demand
}

// newSchemaSet loads openapi-gen's definitions and tags every Go type that is
// registered in one of the served group-versions (plus extraGVKs, the kinds of
// subresources served elsewhere) with all of its GVKs, as upstream's
// definition namer does; that is why DeleteOptions lists every served GV.
func newSchemaSet(served map[schema.GroupVersion]bool, extraGVKs []schema.GroupVersionKind) *schemaSet {
	s := &schemaSet{
		definitions: generated.GetOpenAPIDefinitions(func(goType string) spec.Ref { return schemaRef(goType) }),
		gvks:        map[string][]groupVersionKind{},
		components:  map[string]*spec.Schema{},
	}
	seen := map[schema.GroupVersionKind]bool{}
	add := func(gvk schema.GroupVersionKind, t reflect.Type) {
		if seen[gvk] {
			return
		}
		seen[gvk] = true
		name := goTypeNameOf(t)
		s.gvks[name] = append(s.gvks[name], groupVersionKind{Group: gvk.Group, Kind: gvk.Kind, Version: gvk.Version})
	}
	all := scheme.Scheme.AllKnownTypes()
	for gvk, t := range all {
		if served[gvk.GroupVersion()] {
			add(gvk, t)
		}
	}
	for _, gvk := range extraGVKs {
		if t, ok := all[gvk]; ok {
			add(gvk, t)
		}
	}
	for _, list := range s.gvks {
		sort.Slice(list, func(i, j int) bool {
			a, b := list[i], list[j]
			if a.Group != b.Group {
				return a.Group < b.Group
			}
			if a.Version != b.Version {
				return a.Version < b.Version
			}
			return a.Kind < b.Kind
		})
	}
	return s
}

// component is the schema of goType as a document carries it: with its GVK
// extension, and without the v2 schema that openapi-gen embeds for types
// whose v2 and v3 forms differ (IntOrString, Quantity, ...).
func (s *schemaSet) component(goType string, def common.OpenAPIDefinition) *spec.Schema {
	if c, ok := s.components[goType]; ok {
		return c
	}
	c := def.Schema // the maps inside stay shared: copy before changing them
	ext := spec.Extensions{}
	for k, v := range def.Schema.Extensions {
		if k != common.ExtensionV2Schema {
			ext[k] = v
		}
	}
	if list := s.gvks[goType]; len(list) > 0 {
		ext[gvkExtension] = list
	}
	c.Extensions = nil
	if len(ext) > 0 {
		c.Extensions = ext
	}
	s.components[goType] = &c
	return &c
}

// collect adds the schema of goType and of every type it depends on,
// transitively, to into (keyed by component name).
func (s *schemaSet) collect(goType string, into map[string]*spec.Schema) error {
	name := schemaName(goType)
	if _, done := into[name]; done {
		return nil
	}
	def, ok := s.definitions[goType]
	if !ok {
		return fmt.Errorf("no generated OpenAPI definition for %s; add its package to generate.go", goType)
	}
	into[name] = s.component(goType, def)
	for _, dep := range def.Dependencies {
		if err := s.collect(dep, into); err != nil {
			return err
		}
	}
	return nil
}

// wrapRefs rewrites the components of docs for OpenAPI v3, where a $ref may
// have no siblings: a field's description next to its $ref moves into an
// allOf, as upstream's builder3 does. Components shared between documents
// are wrapped once.
func wrapRefs(docs map[string]*spec3.OpenAPI) {
	wrapped := map[*spec.Schema]*spec.Schema{}
	for _, doc := range docs {
		for name, s := range doc.Components.Schemas {
			w, ok := wrapped[s]
			if !ok {
				w = util.WrapRefs(s)
				wrapped[s] = w
			}
			doc.Components.Schemas[name] = w
		}
	}
}

// queryParameters turns the scalar fields of an options type (ListOptions,
// PatchOptions, ...) into query parameters, reusing the field documentation
// that openapi-gen took from the Go comments, as upstream does.
func (s *schemaSet) queryParameters(optionsType string) []param {
	def, ok := s.definitions[optionsType]
	if !ok {
		return nil
	}
	var params []param
	for name, prop := range def.Schema.Properties {
		if name == "kind" || name == "apiVersion" || len(prop.Type) != 1 {
			continue
		}
		typ := prop.Type[0]
		switch typ {
		case "string", "integer", "boolean":
		case "array": // e.g. dryRun: repeated in the query string
			typ = "string"
		default:
			continue // objects such as DeleteOptions.preconditions only travel in bodies
		}
		params = append(params, param{name: name, in: "query", typ: typ, description: prop.Description})
	}
	return params
}
