package registry

import (
	"fmt"
	"net/http"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer/json"
	"k8s.io/apimachinery/pkg/runtime/serializer/protobuf"
)

// Field validation modes of the fieldValidation query parameter.
const (
	FieldValidationStrict = "Strict"
	FieldValidationWarn   = "Warn"
	FieldValidationIgnore = "Ignore"
)

type decoders struct {
	strictJSON, strictYAML runtime.Decoder
	protobuf               runtime.Decoder
}

func newDecoders(s *runtime.Scheme) *decoders {
	return &decoders{
		strictJSON: json.NewSerializerWithOptions(json.DefaultMetaFactory, s, s, json.SerializerOptions{Strict: true}),
		strictYAML: json.NewSerializerWithOptions(json.DefaultMetaFactory, s, s, json.SerializerOptions{Yaml: true, Strict: true}),
		protobuf:   protobuf.NewSerializer(s, s),
	}
}

// Media types of request bodies.
const (
	MediaTypeJSON     = "application/json"
	MediaTypeYAML     = "application/yaml"
	MediaTypeProtobuf = "application/vnd.kubernetes.protobuf"
)

// Decode reads a request body (JSON, YAML or protobuf, by mediaType) into a new object of the
// resource. Unknown and duplicate fields are an error for Strict, warnings for Warn, and
// ignored for Ignore, as upstream's fieldValidation does.
func (r *Registry) Decode(res *Resource, body []byte, mediaType string, fieldValidation string) (runtime.Object, []string, error) {
	if len(strings.TrimSpace(string(body))) == 0 {
		return nil, nil, apierrors.NewBadRequest("the body of the request was empty")
	}
	var ser runtime.Decoder
	switch mediaType {
	case MediaTypeJSON, "":
		ser = r.decoders.strictJSON
	case MediaTypeYAML:
		ser = r.decoders.strictYAML
	case MediaTypeProtobuf:
		ser = r.decoders.protobuf
	default:
		return nil, nil, &apierrors.StatusError{ErrStatus: metav1.Status{
			Status: metav1.StatusFailure, Code: http.StatusUnsupportedMediaType, Reason: metav1.StatusReasonUnsupportedMediaType,
			Message: fmt.Sprintf("the body of the request was in an unknown format - accepted media types include: %s, %s, %s", MediaTypeJSON, MediaTypeYAML, MediaTypeProtobuf),
		}}
	}
	gvk := res.GroupVersionKind()
	into := res.New()
	obj, actual, err := ser.Decode(body, &gvk, into)
	var warnings []string
	if err != nil {
		// Upstream's wording, which kubectl users know: "<Kind> in version "v1" cannot be
		// handled as a <Kind>: <why>".
		cannotHandle := func(err error) error {
			return apierrors.NewBadRequest(fmt.Sprintf("%s in version %q cannot be handled as a %s: %v", gvk.Kind, gvk.Version, gvk.Kind, err))
		}
		if !runtime.IsStrictDecodingError(err) || obj == nil {
			return nil, nil, cannotHandle(err)
		}
		switch fieldValidation {
		case FieldValidationStrict:
			return nil, nil, cannotHandle(err)
		case FieldValidationIgnore:
		default:
			for _, e := range err.(interface{ Errors() []error }).Errors() {
				warnings = append(warnings, e.Error())
			}
		}
	}
	if actual != nil && (actual.Kind != gvk.Kind || actual.GroupVersion() != gvk.GroupVersion()) {
		return nil, nil, apierrors.NewBadRequest(fmt.Sprintf("the API version in the data (%s) does not match the expected API version (%s)", actual.GroupVersion(), gvk.GroupVersion()))
	}
	return obj, warnings, nil
}
