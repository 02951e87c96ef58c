package deployment

import (
	"testing"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestComputeHash(t *testing.T) {
	template := &v1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
		Spec:       v1.PodSpec{Containers: []v1.Container{{Name: "web", Image: "nginx"}}},
	}
	zero, one := int32(0), int32(1)
	plain, withZero, withOne := ComputeHash(template, nil), ComputeHash(template, &zero), ComputeHash(template, &one)
	if plain == withZero || withZero == withOne || plain == withOne {
		t.Errorf("collision counts must change the hash: %s %s %s", plain, withZero, withOne)
	}
	if again := ComputeHash(template.DeepCopy(), nil); again != plain {
		t.Errorf("not deterministic: %s then %s", plain, again)
	}
	for _, c := range plain {
		if !containsRune("bcdfghjklmnpqrstvwxz2456789", c) {
			t.Errorf("hash %q has %q, outside the safe alphabet", plain, c)
		}
	}
	changed := template.DeepCopy()
	changed.Spec.Containers[0].Image = "nginx:2"
	if ComputeHash(changed, nil) == plain {
		t.Error("a template change must change the hash")
	}
}

func containsRune(s string, r rune) bool {
	for _, c := range s {
		if c == r {
			return true
		}
	}
	return false
}
