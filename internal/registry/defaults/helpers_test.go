package defaults

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"
)

// defaultingCase is one table row: a manifest as a user writes it, and the
// object as a client reads it back from an upstream 1.32 apiserver.
type defaultingCase struct {
	name  string
	input string
	want  string
}

// runDefaultingCases runs each case through assertDefaulted as a subtest.
func runDefaultingCases[T any, P interface {
	*T
	runtime.Object
}](t *testing.T, cases []defaultingCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assertDefaulted[T, P](t, tc.input, tc.want)
		})
	}
}

// assertDefaulted decodes input (YAML) into a fresh T, applies Default, and
// compares the JSON the object serializes to with want (YAML): exactly what
// `kubectl get -o yaml` would show, in the same field order-free form. Null
// values (the `creationTimestamp: null` of every embedded template) are
// dropped on both sides so expectations only show meaningful fields.
//
// It also checks that defaulting twice changes nothing, since upstream
// re-applies defaults each time it reads an object back from storage.
func assertDefaulted[T any, P interface {
	*T
	runtime.Object
}](t *testing.T, input, want string) {
	t.Helper()
	obj := P(new(T))
	decodeInto(t, input, obj)
	Default(obj)
	got := wireForm(t, obj)
	wantJSON, err := yaml.YAMLToJSON([]byte(want))
	if err != nil {
		t.Fatalf("converting want to JSON: %v", err)
	}
	var wantValue any
	if err := json.Unmarshal(wantJSON, &wantValue); err != nil {
		t.Fatalf("decoding want: %v", err)
	}
	if diff := cmp.Diff(dropNulls(wantValue), got); diff != "" {
		t.Errorf("defaulted object mismatch (-want +got):\n%s", diff)
	}

	Default(obj)
	if diff := cmp.Diff(got, wireForm(t, obj)); diff != "" {
		t.Errorf("defaulting again changed the object (-once +twice):\n%s", diff)
	}
}

// wireForm returns obj as the generic JSON value a client receives.
func wireForm(t *testing.T, obj any) any {
	t.Helper()
	data, err := json.Marshal(obj)
	if err != nil {
		t.Fatalf("encoding: %v", err)
	}
	var value any
	if err := json.Unmarshal(data, &value); err != nil {
		t.Fatalf("decoding: %v", err)
	}
	return dropNulls(value)
}

func dropNulls(value any) any {
	switch v := value.(type) {
	case map[string]any:
		for key, inner := range v {
			if inner == nil {
				delete(v, key)
			} else {
				v[key] = dropNulls(inner)
			}
		}
	case []any:
		for i := range v {
			v[i] = dropNulls(v[i])
		}
	}
	return value
}

// indent prefixes every non-empty line of a YAML fragment, to reuse a
// fragment one level deeper (a Job's pod template inside a CronJob).
func indent(fragment, prefix string) string {
	lines := strings.Split(fragment, "\n")
	for i, line := range lines {
		if line != "" {
			lines[i] = prefix + line
		}
	}
	return strings.Join(lines, "\n")
}

// decodeInto decodes a YAML manifest into obj, failing the test on unknown
// fields.
func decodeInto(t *testing.T, manifest string, obj any) {
	t.Helper()
	if err := yaml.UnmarshalStrict([]byte(manifest), obj); err != nil {
		t.Fatalf("decoding %T: %v", obj, err)
	}
}
