package openapi

// The package list is the API surface ordinal can describe: every group-version
// a Resource may name must be here, together with the apimachinery packages
// their types reach (meta/v1, resource, intstr, runtime, version).
// API-rule violations belong to upstream's types, not ours, so the linter
// report goes to /dev/null instead of failing the run.
//go:generate go tool openapi-gen --output-dir generated --output-pkg ordinal.dev/ordinal/internal/apiserver/openapi/generated --output-file zz_generated.openapi.go --go-header-file header.txt --report-filename /dev/null k8s.io/api/core/v1 k8s.io/api/apps/v1 k8s.io/api/batch/v1 k8s.io/api/autoscaling/v1 k8s.io/api/storage/v1 k8s.io/api/networking/v1 k8s.io/api/discovery/v1 k8s.io/api/coordination/v1 k8s.io/api/events/v1 k8s.io/api/policy/v1 k8s.io/api/certificates/v1 k8s.io/api/rbac/v1 k8s.io/apimachinery/pkg/apis/meta/v1 k8s.io/apimachinery/pkg/api/resource k8s.io/apimachinery/pkg/util/intstr k8s.io/apimachinery/pkg/runtime k8s.io/apimachinery/pkg/version
