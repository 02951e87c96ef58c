package openapi

import (
	"fmt"
	"sort"
	"strings"
	"unicode"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/kube-openapi/pkg/spec3"
	"k8s.io/kube-openapi/pkg/validation/spec"
)

// Media types named in the documents. Only what the server answers is listed:
// clients such as openapi generators pick from these.
var (
	objectMediaTypes = []string{"application/json"}
	listMediaTypes   = []string{"application/json", "application/json;stream=watch"}
	watchMediaTypes  = []string{"application/json;stream=watch"}
	textMediaTypes   = []string{"text/plain"}
	anyMediaType     = []string{"*/*"}
	// The order is upstream's; kubectl only needs the set.
	patchMediaTypes = []string{
		"application/apply-patch+yaml",
		"application/json-patch+json",
		"application/merge-patch+json",
		"application/strategic-merge-patch+json",
	}
)

// param is a path or query parameter of an operation.
type param struct {
	name, in, typ, description string
	required                   bool
}

func (p param) build() *spec3.Parameter {
	return &spec3.Parameter{ParameterProps: spec3.ParameterProps{
		Name:        p.name,
		In:          p.in,
		Description: p.description,
		Required:    p.required,
		Schema:      &spec.Schema{SchemaProps: spec.SchemaProps{Type: []string{p.typ}}},
	}}
}

// operation is everything that varies between the operations of a document;
// build turns it into the spec3 form with references to components.
type operation struct {
	method      string // GET, POST, PUT, PATCH, DELETE
	action      string // x-kubernetes-action: get list post put patch delete deletecollection watch watchlist connect
	id          string
	description string
	gvk         schema.GroupVersionKind
	query       []param
	body        string   // Go type of the request body, "" for none
	bodyTypes   []string // its media types
	bodyNeeded  bool
	response    string // Go type of the response, "" for a plain string
	codes       []int  // success codes, all answering response
	produces    []string
}

// docBuilder assembles the document of one group-version.
type docBuilder struct {
	schemas    *schemaSet
	gv         schema.GroupVersion
	prefix     string // "/api/v1" or "/apis/<group>/<version>"
	opIDPrefix string // e.g. AppsV1, CoreV1, NetworkingV1
	tag        string // e.g. apps_v1
	doc        *spec3.OpenAPI
}

func newDocBuilder(schemas *schemaSet, gv schema.GroupVersion) *docBuilder {
	group := gv.Group
	prefix := "/apis/" + gv.Group + "/" + gv.Version
	if group == "" {
		group, prefix = "core", "/api/"+gv.Version
	}
	group = strings.TrimSuffix(group, ".k8s.io")
	return &docBuilder{
		schemas:    schemas,
		gv:         gv,
		prefix:     prefix,
		opIDPrefix: camel(group, true) + camel(gv.Version, true),
		tag:        camel(group, false) + "_" + camel(gv.Version, false),
		doc: &spec3.OpenAPI{
			Version: "3.0.0",
			Info:    &spec.Info{InfoProps: spec.InfoProps{Title: "Kubernetes", Version: "unversioned"}},
			Paths:   &spec3.Paths{Paths: map[string]*spec3.Path{}},
			Components: &spec3.Components{
				Schemas: map[string]*spec.Schema{},
				SecuritySchemes: spec3.SecuritySchemes{"BearerToken": &spec3.SecurityScheme{
					SecuritySchemeProps: spec3.SecuritySchemeProps{
						Type: "apiKey", Name: "authorization", In: "header",
						Description: "Bearer Token authentication",
					},
				}},
			},
			SecurityRequirement: []map[string][]string{{"BearerToken": {}}},
		},
	}
}

// camel upper-cases the letter after every non-alphanumeric character and
// drops those characters: "rbac.authorization" -> "RbacAuthorization", the
// spelling of upstream's operation ids and tags.
func camel(s string, upperFirst bool) string {
	var b strings.Builder
	up := upperFirst
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			up = true
			continue
		}
		if up {
			r = unicode.ToUpper(r)
			up = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// addResource adds every path of one resource: collection, item, the
// all-namespaces list, the deprecated watch paths (upstream still serves
// them, and they are what reference WatchEvent) and the subresources.
func (b *docBuilder) addResource(r Resource, kindType, listType string) error {
	gvk := b.gv.WithKind(r.Kind)
	verbs := setOf(r.Verbs)
	scope, nsPath := "", ""
	var pathParams []param
	if r.Namespaced {
		scope, nsPath = "Namespaced", "/namespaces/{namespace}"
		pathParams = append(pathParams, param{name: "namespace", in: "path", typ: "string", required: true,
			description: "object name and auth scope, such as for teams and projects"})
	}
	nameParam := param{name: "name", in: "path", typ: "string", required: true, description: "name of the " + r.Kind}
	itemParams := append(append([]param{}, pathParams...), nameParam)
	collection := b.prefix + nsPath + "/" + r.Resource
	item := collection + "/{name}"
	listQuery := b.schemas.queryParameters(listOptionsType)
	deleteQuery := b.schemas.queryParameters(deleteOptionsType)
	id := func(verb, suffix string) string { return verb + b.opIDPrefix + suffix }

	var ops []pathOp
	if verbs["list"] {
		ops = append(ops, pathOp{collection, pathParams, operation{
			method: "GET", action: "list", id: id("list", scope+r.Kind),
			description: "list or watch objects of kind " + r.Kind,
			query:       listQuery, response: listType, codes: []int{200}, produces: listMediaTypes,
		}})
		if r.Namespaced {
			ops = append(ops, pathOp{b.prefix + "/" + r.Resource, nil, operation{
				method: "GET", action: "list", id: id("list", r.Kind+"ForAllNamespaces"),
				description: "list or watch objects of kind " + r.Kind,
				query:       listQuery, response: listType, codes: []int{200}, produces: listMediaTypes,
			}})
		}
	}
	if verbs["create"] {
		ops = append(ops, pathOp{collection, pathParams, operation{
			method: "POST", action: "post", id: id("create", scope+r.Kind),
			description: "create " + article(r.Kind),
			query:       b.schemas.queryParameters(createOptionsType),
			body:        kindType, bodyTypes: anyMediaType, bodyNeeded: true,
			response: kindType, codes: []int{200, 201, 202}, produces: objectMediaTypes,
		}})
	}
	if verbs["deletecollection"] {
		ops = append(ops, pathOp{collection, pathParams, operation{
			method: "DELETE", action: "deletecollection", id: id("delete", "Collection"+scope+r.Kind),
			description: "delete collection of " + r.Kind,
			query:       mergeParams(listQuery, deleteQuery),
			body:        deleteOptionsType, bodyTypes: anyMediaType,
			response: statusType, codes: []int{200}, produces: objectMediaTypes,
		}})
	}
	if verbs["get"] {
		ops = append(ops, pathOp{item, itemParams, operation{
			method: "GET", action: "get", id: id("read", scope+r.Kind),
			description: "read the specified " + r.Kind,
			response:    kindType, codes: []int{200}, produces: objectMediaTypes,
		}})
	}
	if verbs["update"] {
		ops = append(ops, pathOp{item, itemParams, operation{
			method: "PUT", action: "put", id: id("replace", scope+r.Kind),
			description: "replace the specified " + r.Kind,
			query:       b.schemas.queryParameters(updateOptionsType),
			body:        kindType, bodyTypes: anyMediaType, bodyNeeded: true,
			response: kindType, codes: []int{200, 201}, produces: objectMediaTypes,
		}})
	}
	if verbs["patch"] {
		ops = append(ops, pathOp{item, itemParams, operation{
			method: "PATCH", action: "patch", id: id("patch", scope+r.Kind),
			description: "partially update the specified " + r.Kind,
			query:       b.schemas.queryParameters(patchOptionsType),
			body:        patchType, bodyTypes: patchMediaTypes, bodyNeeded: true,
			response: kindType, codes: []int{200, 201}, produces: objectMediaTypes,
		}})
	}
	if verbs["delete"] {
		// The body of a deletion answer is the server's choice (a Status, or
		// the object while finalizers run); Status is what upstream names for most kinds.
		ops = append(ops, pathOp{item, itemParams, operation{
			method: "DELETE", action: "delete", id: id("delete", scope+r.Kind),
			description: "delete " + article(r.Kind),
			query:       deleteQuery,
			body:        deleteOptionsType, bodyTypes: anyMediaType,
			response: statusType, codes: []int{200, 202}, produces: objectMediaTypes,
		}})
	}
	if verbs["watch"] {
		watch := b.prefix + "/watch" + nsPath + "/" + r.Resource
		const deprecated = " deprecated: use the 'watch' parameter with a list operation instead"
		ops = append(ops,
			pathOp{watch, pathParams, operation{
				method: "GET", action: "watchlist", id: id("watch", scope+r.Kind+"List"),
				description: "watch individual changes to a list of " + r.Kind + "." + deprecated + ".",
				query:       listQuery, response: watchEventType, codes: []int{200}, produces: watchMediaTypes,
			}},
			pathOp{watch + "/{name}", itemParams, operation{
				method: "GET", action: "watch", id: id("watch", scope+r.Kind),
				description: "watch changes to an object of kind " + r.Kind + "." + deprecated +
					", filtered to a single item with the 'fieldSelector' parameter.",
				query: listQuery, response: watchEventType, codes: []int{200}, produces: watchMediaTypes,
			}})
		if r.Namespaced {
			ops = append(ops, pathOp{b.prefix + "/watch/" + r.Resource, nil, operation{
				method: "GET", action: "watchlist", id: id("watch", r.Kind+"ListForAllNamespaces"),
				description: "watch individual changes to a list of " + r.Kind + "." + deprecated + ".",
				query:       listQuery, response: watchEventType, codes: []int{200}, produces: watchMediaTypes,
			}})
		}
	}
	for _, sub := range r.Subresources {
		subOps, err := b.subresourceOps(r, sub, item, itemParams, scope)
		if err != nil {
			return err
		}
		ops = append(ops, subOps...)
	}
	for _, op := range ops {
		if op.op.gvk.Kind == "" {
			op.op.gvk = gvk
		}
		if err := b.add(op); err != nil {
			return err
		}
	}
	return nil
}

// subresourceOps describes /<item>/<subresource>. Subresources whose kind is
// an options type (pods/exec, pods/attach, pods/portforward, .../proxy) are
// connections answering a stream, and pods/log answers text; both take their
// query parameters from the options type, like upstream.
func (b *docBuilder) subresourceOps(r Resource, sub Subresource, item string, params []param, scope string) ([]pathOp, error) {
	gv := schema.GroupVersion{Group: sub.Group, Version: sub.Version}
	if gv.Version == "" {
		gv = b.gv
	}
	kind := sub.Kind
	if kind == "" {
		kind = r.Kind
	}
	gvk := gv.WithKind(kind)
	kindType, ok := goTypeName(gvk)
	if !ok {
		return nil, fmt.Errorf("%s: unknown kind %s", sub.Name, gvk)
	}
	path := item + "/" + sub.Name
	title := camel(sub.Name, true)
	target := scope + r.Kind + title
	verbs := setOf(sub.Verbs)
	var ops []pathOp

	connect := strings.HasSuffix(kind, "Options")
	if connect || (sub.Name == "log" && gvk.GroupVersion() == schema.GroupVersion{Version: "v1"}) {
		optionsType, action, produces := kindType, "connect", anyMediaType
		if !connect {
			optionsType, action, produces = podLogOptionsType, "get", textMediaTypes
		}
		query := b.schemas.queryParameters(optionsType)
		for _, m := range []struct{ verb, method string }{{"get", "GET"}, {"create", "POST"}} {
			if !verbs[m.verb] {
				continue
			}
			opID, desc := "read"+b.opIDPrefix+target, "read "+sub.Name+" of the specified "+r.Kind
			if connect {
				opID = "connect" + b.opIDPrefix + camel(strings.ToLower(m.method), true) + target
				desc = "connect " + m.method + " requests to " + sub.Name + " of " + r.Kind
			}
			ops = append(ops, pathOp{path, params, operation{
				method: m.method, action: action, id: opID, description: desc, gvk: gvk,
				query: query, codes: []int{200}, produces: produces,
			}})
		}
		return ops, nil
	}

	if verbs["get"] {
		ops = append(ops, pathOp{path, params, operation{
			method: "GET", action: "get", id: "read" + b.opIDPrefix + target, gvk: gvk,
			description: "read " + sub.Name + " of the specified " + r.Kind,
			response:    kindType, codes: []int{200}, produces: objectMediaTypes,
		}})
	}
	if verbs["create"] {
		ops = append(ops, pathOp{path, params, operation{
			method: "POST", action: "post", id: "create" + b.opIDPrefix + target, gvk: gvk,
			description: "create " + sub.Name + " of " + article(r.Kind),
			query:       b.schemas.queryParameters(createOptionsType),
			body:        kindType, bodyTypes: anyMediaType, bodyNeeded: true,
			response: kindType, codes: []int{200, 201, 202}, produces: objectMediaTypes,
		}})
	}
	if verbs["update"] {
		ops = append(ops, pathOp{path, params, operation{
			method: "PUT", action: "put", id: "replace" + b.opIDPrefix + target, gvk: gvk,
			description: "replace " + sub.Name + " of the specified " + r.Kind,
			query:       b.schemas.queryParameters(updateOptionsType),
			body:        kindType, bodyTypes: anyMediaType, bodyNeeded: true,
			response: kindType, codes: []int{200, 201}, produces: objectMediaTypes,
		}})
	}
	if verbs["patch"] {
		ops = append(ops, pathOp{path, params, operation{
			method: "PATCH", action: "patch", id: "patch" + b.opIDPrefix + target, gvk: gvk,
			description: "partially update " + sub.Name + " of the specified " + r.Kind,
			query:       b.schemas.queryParameters(patchOptionsType),
			body:        patchType, bodyTypes: patchMediaTypes, bodyNeeded: true,
			response: kindType, codes: []int{200, 201}, produces: objectMediaTypes,
		}})
	}
	return ops, nil
}

// pathOp is one operation on one path; params are the path's own parameters.
type pathOp struct {
	path   string
	params []param
	op     operation
}

func (b *docBuilder) add(po pathOp) error {
	item, ok := b.doc.Paths.Paths[po.path]
	if !ok {
		item = &spec3.Path{}
		// Path parameters sit on the path, not on each operation, as upstream:
		// only the operations' own query parameters differ between methods.
		for _, p := range po.params {
			item.Parameters = append(item.Parameters, p.build())
		}
		b.doc.Paths.Paths[po.path] = item
	}
	op, err := b.build(po.op)
	if err != nil {
		return err
	}
	slot := map[string]**spec3.Operation{
		"GET": &item.Get, "POST": &item.Post, "PUT": &item.Put, "PATCH": &item.Patch, "DELETE": &item.Delete,
	}[po.op.method]
	if *slot != nil {
		return fmt.Errorf("%s %s is served twice", po.op.method, po.path)
	}
	*slot = op
	return nil
}

func (b *docBuilder) build(o operation) (*spec3.Operation, error) {
	op := &spec3.Operation{OperationProps: spec3.OperationProps{
		Description: o.description,
		OperationId: o.id,
		Tags:        []string{b.tag},
		Responses: &spec3.Responses{ResponsesProps: spec3.ResponsesProps{
			StatusCodeResponses: map[int]*spec3.Response{
				401: {ResponseProps: spec3.ResponseProps{Description: "Unauthorized"}},
			},
		}},
	}}
	op.Extensions = spec.Extensions{
		"x-kubernetes-action": o.action,
		gvkExtension:          groupVersionKind{Group: o.gvk.Group, Kind: o.gvk.Kind, Version: o.gvk.Version},
	}
	query := append([]param(nil), o.query...) // shared between operations: sort a copy
	sort.Slice(query, func(i, j int) bool { return query[i].name < query[j].name })
	for _, p := range query {
		op.Parameters = append(op.Parameters, p.build())
	}

	if o.body != "" {
		ref, err := b.reference(o.body)
		if err != nil {
			return nil, err
		}
		op.RequestBody = &spec3.RequestBody{RequestBodyProps: spec3.RequestBodyProps{
			Content: content(o.bodyTypes, ref), Required: o.bodyNeeded,
		}}
	}
	response := &spec.Schema{SchemaProps: spec.SchemaProps{Type: []string{"string"}}}
	if o.response != "" {
		ref, err := b.reference(o.response)
		if err != nil {
			return nil, err
		}
		response = ref
	}
	for _, code := range o.codes {
		op.Responses.StatusCodeResponses[code] = &spec3.Response{ResponseProps: spec3.ResponseProps{
			Description: statusText[code], Content: content(o.produces, response),
		}}
	}
	return op, nil
}

var statusText = map[int]string{200: "OK", 201: "Created", 202: "Accepted"}

// reference returns a $ref to goType and pulls its schema, and everything it
// reaches, into the document's components.
func (b *docBuilder) reference(goType string) (*spec.Schema, error) {
	if err := b.schemas.collect(goType, b.doc.Components.Schemas); err != nil {
		return nil, err
	}
	return &spec.Schema{SchemaProps: spec.SchemaProps{Ref: schemaRef(goType)}}, nil
}

func content(mediaTypes []string, schema *spec.Schema) map[string]*spec3.MediaType {
	c := make(map[string]*spec3.MediaType, len(mediaTypes))
	for _, mt := range mediaTypes {
		c[mt] = &spec3.MediaType{MediaTypeProps: spec3.MediaTypeProps{Schema: schema}}
	}
	return c
}

// mergeParams joins parameter lists, the first one winning on a name clash.
func mergeParams(lists ...[]param) []param {
	seen := map[string]bool{}
	var out []param
	for _, list := range lists {
		for _, p := range list {
			if !seen[p.name] {
				seen[p.name] = true
				out = append(out, p)
			}
		}
	}
	return out
}

func setOf(items []string) map[string]bool {
	set := make(map[string]bool, len(items))
	for _, s := range items {
		set[s] = true
	}
	return set
}

// article prefixes a kind the way upstream's descriptions do ("create a Pod",
// "delete an Ingress").
func article(kind string) string {
	if kind != "" && strings.ContainsRune("AEIOU", rune(kind[0])) {
		return "an " + kind
	}
	return "a " + kind
}
