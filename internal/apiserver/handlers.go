package apiserver

import (
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/scheme"

	"ordinal.dev/ordinal/internal/registry"
)

// maxBodyBytes bounds request bodies, as upstream's 3 MiB request limit does.
const maxBodyBytes = 3 << 20

func (s *Server) serveResource(w http.ResponseWriter, r *http.Request) {
	info, ok := parseResourcePath(r)
	if !ok {
		s.writeError(w, r, notFoundPath(r))
		return
	}
	res, ok := s.reg.Lookup(info.Group, info.Version, info.Resource)
	if !ok {
		s.writeError(w, r, notFoundPath(r))
		return
	}
	if s.metrics != nil {
		s.metrics.label(w, info.Verb, info.Resource, info.Subresource)
	}
	if !res.Namespaced && info.Namespace != "" {
		s.writeError(w, r, notFoundPath(r))
		return
	}
	for _, seg := range []string{info.Namespace, info.Name} {
		if seg == "." || seg == ".." || strings.ContainsAny(seg, "%") {
			s.writeError(w, r, apierrors.NewBadRequest(fmt.Sprintf("invalid name %q", seg)))
			return
		}
	}
	if info.Subresource != "" {
		s.serveSubresource(w, r, res, info)
		return
	}
	switch info.Verb {
	case "get":
		s.get(w, r, res, info)
	case "list":
		s.list(w, r, res, info)
	case "watch":
		s.watch(w, r, res, info)
	case "create":
		if info.Name != "" {
			s.writeError(w, r, apierrors.NewMethodNotSupported(res.GroupResource(), "create"))
			return
		}
		s.create(w, r, res, info)
	case "update":
		s.update(w, r, res, info)
	case "patch":
		s.patch(w, r, res, info)
	case "delete":
		s.delete(w, r, res, info)
	case "deletecollection":
		s.deleteCollection(w, r, res, info)
	}
}

func (s *Server) serveSubresource(w http.ResponseWriter, r *http.Request, res *registry.Resource, info requestInfo) {
	switch {
	case info.Subresource == registry.SubresourceStatus && res.Status,
		info.Subresource == registry.SubresourceApproval && res.PrepareForApprovalUpdate != nil:
		switch info.Verb {
		case "get":
			s.get(w, r, res, info)
		case "update":
			s.update(w, r, res, info)
		case "patch":
			s.patch(w, r, res, info)
		default:
			s.writeError(w, r, apierrors.NewMethodNotSupported(res.GroupResource(), info.Verb))
		}
	case info.Subresource == registry.SubresourceScale && res.Scale != nil:
		s.scale(w, r, res, info)
	case isPodStream(res, info):
		s.servePodStream(w, r, res, info)
	case info.Subresource == "binding" && res.Group == "" && res.Name == "pods" && info.Verb == "create":
		s.bind(w, r, info)
	case info.Subresource == registry.SubresourceFinalize && res.Group == "" && res.Name == "namespaces" && info.Verb == "update":
		s.finalize(w, r, info)
	default:
		s.writeError(w, r, notFoundPath(r))
	}
}

func notFoundPath(*http.Request) error {
	return &apierrors.StatusError{ErrStatus: metav1.Status{
		Status: metav1.StatusFailure, Code: http.StatusNotFound, Reason: metav1.StatusReasonNotFound,
		Message: "the server could not find the requested resource",
		Details: &metav1.StatusDetails{},
	}}
}

func (s *Server) get(w http.ResponseWriter, r *http.Request, res *registry.Resource, info requestInfo) {
	obj, err := s.reg.Get(r.Context(), res, info.Namespace, info.Name)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeObject(w, r, http.StatusOK, obj)
}

func (s *Server) list(w http.ResponseWriter, r *http.Request, res *registry.Resource, info requestInfo) {
	q := r.URL.Query()
	sel, err := s.reg.ParseSelection(res, q.Get("labelSelector"), q.Get("fieldSelector"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	opts := registry.ListOptions{Selection: sel, ResourceVersion: q.Get("resourceVersion"), Continue: q.Get("continue")}
	opts.Exact = q.Get("resourceVersionMatch") == string(metav1.ResourceVersionMatchExact)
	if l := q.Get("limit"); l != "" {
		n, err := strconv.ParseInt(l, 10, 64)
		if err != nil || n < 0 {
			s.writeError(w, r, apierrors.NewBadRequest(fmt.Sprintf("invalid limit %q", l)))
			return
		}
		opts.Limit = n
	}
	list, err := s.reg.List(r.Context(), res, info.Namespace, opts)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeObject(w, r, http.StatusOK, list)
}

// readBody reads a request body within the size limit.
func readBody(r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	if err != nil {
		return nil, apierrors.NewBadRequest(err.Error())
	}
	if len(body) > maxBodyBytes {
		return nil, apierrors.NewRequestEntityTooLargeError(fmt.Sprintf("limit is %d", maxBodyBytes))
	}
	return body, nil
}

func mediaType(r *http.Request) string {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return mt
}

func fieldValidation(r *http.Request) (string, error) {
	switch v := r.URL.Query().Get("fieldValidation"); v {
	case "":
		return registry.FieldValidationWarn, nil
	case registry.FieldValidationStrict, registry.FieldValidationWarn, registry.FieldValidationIgnore:
		return v, nil
	default:
		return "", apierrors.NewBadRequest(fmt.Sprintf("fieldValidation must be one of Ignore, Warn or Strict, got %q", v))
	}
}

func dryRun(r *http.Request) (bool, error) {
	values := r.URL.Query()["dryRun"]
	for _, v := range values {
		if v != metav1.DryRunAll {
			return false, apierrors.NewBadRequest(fmt.Sprintf("Invalid dry run value %q: only %q is supported", v, metav1.DryRunAll))
		}
	}
	return len(values) > 0, nil
}

// writeRequest reads what every write carries: fieldValidation, dryRun and the body.
func writeRequest(r *http.Request) (fv string, dry bool, body []byte, err error) {
	if fv, err = fieldValidation(r); err != nil {
		return
	}
	if dry, err = dryRun(r); err != nil {
		return
	}
	body, err = readBody(r)
	return
}

// decodeBody reads and decodes the body of a create or update.
func (s *Server) decodeBody(w http.ResponseWriter, r *http.Request, res *registry.Resource) (runtime.Object, bool, bool) {
	fv, dry, body, err := writeRequest(r)
	if err != nil {
		s.writeError(w, r, err)
		return nil, false, false
	}
	obj, warnings, err := s.reg.Decode(res, body, mediaType(r), fv)
	if err != nil {
		s.writeError(w, r, err)
		return nil, false, false
	}
	addWarnings(w, warnings)
	return obj, dry, true
}

func (s *Server) create(w http.ResponseWriter, r *http.Request, res *registry.Resource, info requestInfo) {
	obj, dry, ok := s.decodeBody(w, r, res)
	if !ok {
		return
	}
	out, err := s.reg.Create(r.Context(), res, info.Namespace, obj, dry)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeObject(w, r, http.StatusCreated, out)
}

func (s *Server) update(w http.ResponseWriter, r *http.Request, res *registry.Resource, info requestInfo) {
	obj, dry, ok := s.decodeBody(w, r, res)
	if !ok {
		return
	}
	out, err := s.reg.Update(r.Context(), res, info.Namespace, info.Name, info.Subresource, obj, dry)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeObject(w, r, http.StatusOK, out)
}

func patchType(r *http.Request) types.PatchType { return types.PatchType(mediaType(r)) }

func (s *Server) patch(w http.ResponseWriter, r *http.Request, res *registry.Resource, info requestInfo) {
	fv, dry, body, err := writeRequest(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out, warnings, err := s.reg.Patch(r.Context(), res, info.Namespace, info.Name, info.Subresource, patchType(r), body, fv, dry)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	addWarnings(w, warnings)
	s.writeObject(w, r, http.StatusOK, out)
}

// deleteOptions reads DeleteOptions from the body (kubectl sends them there) and the query.
func deleteOptions(r *http.Request) (*metav1.DeleteOptions, error) {
	opts := &metav1.DeleteOptions{}
	body, err := readBody(r)
	if err != nil {
		return nil, err
	}
	if len(strings.TrimSpace(string(body))) > 0 {
		if err := decodeInto(body, opts); err != nil {
			return nil, apierrors.NewBadRequest(fmt.Sprintf("error decoding DeleteOptions: %v", err))
		}
	}
	q := r.URL.Query()
	if g := q.Get("gracePeriodSeconds"); g != "" {
		n, err := strconv.ParseInt(g, 10, 64)
		if err != nil {
			return nil, apierrors.NewBadRequest(fmt.Sprintf("invalid gracePeriodSeconds %q", g))
		}
		opts.GracePeriodSeconds = &n
	}
	if p := q.Get("propagationPolicy"); p != "" {
		policy := metav1.DeletionPropagation(p)
		opts.PropagationPolicy = &policy
	}
	if o := q.Get("orphanDependents"); o != "" {
		b := isTrue(o)
		//lint:ignore SA1019 orphanDependents is deprecated but still part of the API.
		opts.OrphanDependents = &b
	}
	if len(q["dryRun"]) > 0 {
		opts.DryRun = q["dryRun"]
	}
	if p := opts.PropagationPolicy; p != nil {
		switch *p {
		case metav1.DeletePropagationBackground, metav1.DeletePropagationForeground, metav1.DeletePropagationOrphan:
		default:
			return nil, apierrors.NewBadRequest(fmt.Sprintf("propagationPolicy: Unsupported value: %q: supported values: \"Foreground\", \"Background\", \"Orphan\"", *p))
		}
	}
	for _, v := range opts.DryRun {
		if v != metav1.DryRunAll {
			return nil, apierrors.NewBadRequest(fmt.Sprintf("Invalid dry run value %q: only %q is supported", v, metav1.DryRunAll))
		}
	}
	return opts, nil
}

func (s *Server) delete(w http.ResponseWriter, r *http.Request, res *registry.Resource, info requestInfo) {
	opts, err := deleteOptions(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	result, err := s.reg.Delete(r.Context(), res, info.Namespace, info.Name, opts)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if !result.Removed {
		s.writeObject(w, r, http.StatusOK, result.Object)
		return
	}
	s.writeObject(w, r, http.StatusOK, &metav1.Status{
		TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"},
		Status:   metav1.StatusSuccess,
		Details: &metav1.StatusDetails{
			Name: info.Name, Group: res.Group, Kind: res.Name, UID: metaUID(result.Object),
		},
	})
}

func (s *Server) deleteCollection(w http.ResponseWriter, r *http.Request, res *registry.Resource, info requestInfo) {
	opts, err := deleteOptions(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	q := r.URL.Query()
	sel, err := s.reg.ParseSelection(res, q.Get("labelSelector"), q.Get("fieldSelector"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	list, err := s.reg.DeleteCollection(r.Context(), res, info.Namespace, sel, opts)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeObject(w, r, http.StatusOK, list)
}

func (s *Server) scale(w http.ResponseWriter, r *http.Request, res *registry.Resource, info requestInfo) {
	ctx := r.Context()
	dry, err := dryRun(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var scale *autoscalingv1.Scale
	switch info.Verb {
	case "get":
		scale, err = s.reg.GetScale(ctx, res, info.Namespace, info.Name)
	case "update":
		in := &autoscalingv1.Scale{}
		if err = readInto(r, in); err == nil {
			scale, err = s.reg.UpdateScale(ctx, res, info.Namespace, info.Name, in, dry)
		}
	case "patch":
		var body []byte
		if body, err = readBody(r); err == nil {
			scale, err = s.reg.PatchScale(ctx, res, info.Namespace, info.Name, patchType(r), body, dry)
		}
	default:
		err = apierrors.NewMethodNotSupported(res.GroupResource(), info.Verb)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeObject(w, r, http.StatusOK, scale)
}

func (s *Server) bind(w http.ResponseWriter, r *http.Request, info requestInfo) {
	binding := &corev1.Binding{}
	if err := readInto(r, binding); err != nil {
		s.writeError(w, r, err)
		return
	}
	if binding.Name != "" && binding.Name != info.Name {
		s.writeError(w, r, apierrors.NewBadRequest(fmt.Sprintf("the name of the object (%s) does not match the name on the URL (%s)", binding.Name, info.Name)))
		return
	}
	if _, err := s.reg.BindPod(r.Context(), info.Namespace, info.Name, binding); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeObject(w, r, http.StatusCreated, &metav1.Status{TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"}, Status: metav1.StatusSuccess})
}

func (s *Server) finalize(w http.ResponseWriter, r *http.Request, info requestInfo) {
	ns := &corev1.Namespace{}
	if err := readInto(r, ns); err != nil {
		s.writeError(w, r, err)
		return
	}
	out, err := s.reg.FinalizeNamespace(r.Context(), info.Name, ns.Spec.Finalizers)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeObject(w, r, http.StatusOK, out)
}

// readInto reads the body into a typed object (Binding, Namespace, Scale).
func readInto(r *http.Request, into runtime.Object) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	if err := decodeInto(body, into); err != nil {
		return apierrors.NewBadRequest(err.Error())
	}
	return nil
}

// decodeInto decodes a body of any of the media types clients send (client-go's typed
// clients send protobuf, kubectl JSON) into a typed object such as DeleteOptions or Binding.
func decodeInto(body []byte, into runtime.Object) error {
	_, _, err := scheme.Codecs.UniversalDeserializer().Decode(body, nil, into)
	return err
}

func metaUID(obj runtime.Object) types.UID {
	if o, ok := obj.(metav1.Object); ok {
		return o.GetUID()
	}
	return ""
}
