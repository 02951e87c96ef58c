package validation

import (
	"fmt"
	"math"
	"net"
	"strconv"
	"strings"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metavalidation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	netutils "k8s.io/utils/net"
)

// Messages shared by many rules. They are the exact wording upstream uses,
// because kubectl prints them verbatim and users search for them.
const (
	isNegativeErrorMsg    = apimachineryvalidation.IsNegativeErrorMsg // "must be greater than or equal to 0"
	isNotPositiveErrorMsg = "must be greater than zero"
	isNotIntegerErrorMsg  = "must be an integer"
	fieldImmutableMsg     = apimachineryvalidation.FieldImmutableErrorMsg // "field is immutable"
	fileModeErrorMsg      = "must be a number between 0 and 0777 (octal), both inclusive"
	immutableWhenSetMsg   = "field is immutable when `immutable` is set"
	selectorMismatchMsg   = "`selector` does not match template `labels`"
)

// validateNonnegative reports value < 0 the way upstream's
// ValidateNonnegativeField does (the value is printed as a plain number).
func validateNonnegative(value int64, fldPath *field.Path) field.ErrorList {
	return apimachineryvalidation.ValidateNonnegativeField(value, fldPath)
}

// validateDNS1123Label returns one Invalid error per problem with value.
func validateDNS1123Label(value string, fldPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, msg := range validation.IsDNS1123Label(value) {
		errs = append(errs, field.Invalid(fldPath, value, msg))
	}
	return errs
}

// validateDNS1123Subdomain returns one Invalid error per problem with value.
func validateDNS1123Subdomain(value string, fldPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, msg := range validation.IsDNS1123Subdomain(value) {
		errs = append(errs, field.Invalid(fldPath, value, msg))
	}
	return errs
}

// validateQualifiedName checks label-key style names (optional DNS prefix).
func validateQualifiedName(value string, fldPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, msg := range validation.IsQualifiedName(value) {
		errs = append(errs, field.Invalid(fldPath, value, msg))
	}
	return errs
}

// validateNameWith applies a name function to a referenced object name.
func validateNameWith(nameFn apimachineryvalidation.ValidateNameFunc, value string, prefix bool, fldPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, msg := range nameFn(value, prefix) {
		errs = append(errs, field.Invalid(fldPath, value, msg))
	}
	return errs
}

// validatePortNumOrName accepts an int port 1-65535 or an IANA_SVC_NAME.
func validatePortNumOrName(port intstr.IntOrString, fldPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	switch port.Type {
	case intstr.Int:
		for _, msg := range validation.IsValidPortNum(port.IntValue()) {
			errs = append(errs, field.Invalid(fldPath, port.IntValue(), msg))
		}
	case intstr.String:
		for _, msg := range validation.IsValidPortName(port.StrVal) {
			errs = append(errs, field.Invalid(fldPath, port.StrVal, msg))
		}
	default:
		errs = append(errs, field.InternalError(fldPath, fmt.Errorf("unknown type: %v", port.Type)))
	}
	return errs
}

// validatePortNum checks a plain port number field.
func validatePortNum(port int32, fldPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, msg := range validation.IsValidPortNum(int(port)) {
		errs = append(errs, field.Invalid(fldPath, port, msg))
	}
	return errs
}

// validateImmutable reports "field is immutable" when the values differ
// semantically (quantities compare by value, not by representation).
func validateImmutable(newVal, oldVal interface{}, fldPath *field.Path) field.ErrorList {
	return apimachineryvalidation.ValidateImmutableField(newVal, oldVal, fldPath)
}

// validateLabelSelectorStrict validates a selector the way workload
// controllers need it: label values in the selector must be valid too.
func validateLabelSelectorStrict(sel *metav1.LabelSelector, fldPath *field.Path) field.ErrorList {
	return metavalidation.ValidateLabelSelector(sel, metavalidation.LabelSelectorValidationOptions{}, fldPath)
}

// validatePositiveIntOrPercent accepts a non-negative int or "N%".
func validatePositiveIntOrPercent(v intstr.IntOrString, fldPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	switch v.Type {
	case intstr.String:
		for _, msg := range validation.IsValidPercent(v.StrVal) {
			errs = append(errs, field.Invalid(fldPath, v, msg))
		}
	case intstr.Int:
		errs = append(errs, validateNonnegative(int64(v.IntValue()), fldPath)...)
	default:
		errs = append(errs, field.Invalid(fldPath, v, "must be an integer or percentage (e.g '5%%')"))
	}
	return errs
}

// percentValue returns N for a valid "N%" string.
func percentValue(v intstr.IntOrString) (int, bool) {
	if v.Type != intstr.String || len(validation.IsValidPercent(v.StrVal)) != 0 {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimSuffix(v.StrVal, "%"))
	if err != nil {
		return 0, false
	}
	return n, true
}

// intOrPercentValue is the raw number of an int-or-percent; "0%" and 0 are
// both zero. Upstream's "both 0" rules look at these raw values, not at the
// value scaled by replicas.
func intOrPercentValue(v intstr.IntOrString) int {
	if n, ok := percentValue(v); ok {
		return n
	}
	if v.Type == intstr.Int {
		return v.IntValue()
	}
	return 0
}

// isNotMoreThan100Percent rejects percentages above 100%.
func isNotMoreThan100Percent(v intstr.IntOrString, fldPath *field.Path) field.ErrorList {
	n, ok := percentValue(v)
	if !ok || n <= 100 {
		return nil
	}
	return field.ErrorList{field.Invalid(fldPath, v, "must not be greater than 100%")}
}

// intOrStringOrZero dereferences an optional int-or-percent; the internal
// upstream types are not pointers, so nil behaves like 0 there.
func intOrStringOrZero(v *intstr.IntOrString) intstr.IntOrString {
	if v == nil {
		return intstr.FromInt32(0)
	}
	return *v
}

// semanticEqual compares API values the way upstream does (quantities by value).
func semanticEqual(a, b interface{}) bool {
	return apiequality.Semantic.DeepEqual(a, b)
}

// inclusiveRange reports a value outside [lo, hi] with upstream's wording.
func inclusiveRange(value int64, lo, hi int64, fldPath *field.Path) field.ErrorList {
	if value < lo || value > hi {
		return field.ErrorList{field.Invalid(fldPath, value, validation.InclusiveRangeError(int(lo), int(hi)))}
	}
	return nil
}

const maxInt32 = math.MaxInt32

// derefInt32 returns *p or def.
func derefInt32(p *int32, def int32) int32 {
	if p == nil {
		return def
	}
	return *p
}

// parseIP accepts the same (sloppy, leading-zero tolerant) syntax as upstream.
func parseIP(s string) net.IP { return netutils.ParseIPSloppy(s) }

// labelSet converts a label map for selector matching.
func labelSet(m map[string]string) labels.Set { return labels.Set(m) }
