package validation

import (
	"fmt"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Limits from upstream's batch validation.
const (
	maxParallelismForIndexedJob                  = 100_000
	maxFailedIndexesLimitForBackoffLimitPerIndex = 100_000
	completionsSoftLimit                         = 100_000
	parallelismLimitForHighCompletions           = 10_000
	maxPodFailurePolicyRules                     = 20
	maxPodFailurePolicyOnExitCodesValues         = 255
	maxPodFailurePolicyOnPodConditionsPatterns   = 20
	maxManagedByLength                           = 63
)

// The unprefixed labels older clients select on; the job controller still
// sets them next to the batch.kubernetes.io/ ones.
const (
	legacyControllerUIDLabel = "controller-uid"
	legacyJobNameLabel       = "job-name"
)

// ValidateJob checks a new Job. Job names share the RC rule (subdomain);
// Indexed jobs additionally need "<name>-<maxIndex>" to be a valid
// hostname because pods get that hostname.
func ValidateJob(job *batchv1.Job) field.ErrorList {
	allErrs := ValidateObjectMeta(&job.ObjectMeta, true, NameIsDNSSubdomain, field.NewPath("metadata"))
	allErrs = append(allErrs, validateGeneratedSelector(job)...)
	allErrs = append(allErrs, ValidateJobSpec(&job.Spec, field.NewPath("spec"))...)
	if isIndexed(&job.Spec) && job.Spec.Completions != nil && *job.Spec.Completions > 0 {
		maxHostname := fmt.Sprintf("%s-%d", job.Name, *job.Spec.Completions-1)
		if len(validation.IsDNS1123Label(maxHostname)) > 0 {
			allErrs = append(allErrs, field.Invalid(field.NewPath("metadata", "name"), job.Name,
				fmt.Sprintf("will not able to create pod with invalid DNS label: %s", maxHostname)))
		}
	}
	return allErrs
}

func isIndexed(spec *batchv1.JobSpec) bool {
	return spec.CompletionMode != nil && *spec.CompletionMode == batchv1.IndexedCompletion
}

// validateGeneratedSelector: unless manualSelector is set, the selector and
// template labels are generated from the job's uid and name; if a user
// overrode them, the job could adopt foreign pods. The check needs the uid,
// so it is skipped when the caller validates before assigning one.
func validateGeneratedSelector(job *batchv1.Job) field.ErrorList {
	if job.Spec.ManualSelector != nil && *job.Spec.ManualSelector {
		return nil
	}
	if job.Spec.Selector == nil || job.UID == "" {
		return nil
	}
	tp := field.NewPath("spec", "template", "metadata")
	uid := string(job.UID)
	var allErrs field.ErrorList
	allErrs = append(allErrs, validateHasLabel(&job.Spec.Template.ObjectMeta, tp, legacyControllerUIDLabel, uid)...)
	allErrs = append(allErrs, validateHasLabel(&job.Spec.Template.ObjectMeta, tp, legacyJobNameLabel, job.Name)...)
	allErrs = append(allErrs, validateHasLabel(&job.Spec.Template.ObjectMeta, tp, batchv1.ControllerUidLabel, uid)...)
	allErrs = append(allErrs, validateHasLabel(&job.Spec.Template.ObjectMeta, tp, batchv1.JobNameLabel, job.Name)...)
	if selector, err := metav1.LabelSelectorAsSelector(job.Spec.Selector); err == nil {
		if !selector.Matches(labels.Set{batchv1.ControllerUidLabel: uid}) {
			allErrs = append(allErrs, field.Invalid(field.NewPath("spec", "selector"), job.Spec.Selector, "`selector` not auto-generated"))
		}
	}
	return allErrs
}

func validateHasLabel(meta *metav1.ObjectMeta, fldPath *field.Path, key, expected string) field.ErrorList {
	actual, ok := meta.Labels[key]
	if !ok {
		return field.ErrorList{field.Required(fldPath.Child("labels").Key(key), "must be '"+expected+"'")}
	}
	if actual != expected {
		return field.ErrorList{field.Invalid(fldPath.Child("labels").Key(key), meta.Labels, "must be '"+expected+"'")}
	}
	return nil
}

// ValidateJobSpec checks a Job spec including its selector.
func ValidateJobSpec(spec *batchv1.JobSpec, fldPath *field.Path) field.ErrorList {
	allErrs := validateJobSpec(spec, fldPath)
	if spec.Selector == nil {
		allErrs = append(allErrs, field.Required(fldPath.Child("selector"), ""))
	} else {
		allErrs = append(allErrs, validateLabelSelectorStrict(spec.Selector, fldPath.Child("selector"))...)
	}
	if selector, err := metav1.LabelSelectorAsSelector(spec.Selector); err == nil && spec.Template.Labels != nil {
		if !selector.Matches(labels.Set(spec.Template.Labels)) {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("template", "metadata", "labels"), spec.Template.Labels, selectorMismatchMsg))
		}
	}
	return allErrs
}

// validateJobSpec holds the rules shared with CronJob job templates (whose
// selector is generated later and therefore not checked here).
func validateJobSpec(spec *batchv1.JobSpec, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	nonneg := func(v *int32, name string) {
		if v != nil {
			allErrs = append(allErrs, validateNonnegative(int64(*v), fldPath.Child(name))...)
		}
	}
	nonneg(spec.Parallelism, "parallelism")
	nonneg(spec.Completions, "completions")
	if spec.ActiveDeadlineSeconds != nil {
		allErrs = append(allErrs, validateNonnegative(*spec.ActiveDeadlineSeconds, fldPath.Child("activeDeadlineSeconds"))...)
	}
	nonneg(spec.BackoffLimit, "backoffLimit")
	nonneg(spec.TTLSecondsAfterFinished, "ttlSecondsAfterFinished")
	nonneg(spec.BackoffLimitPerIndex, "backoffLimitPerIndex")
	if spec.MaxFailedIndexes != nil {
		allErrs = append(allErrs, validateNonnegative(int64(*spec.MaxFailedIndexes), fldPath.Child("maxFailedIndexes"))...)
		if spec.BackoffLimitPerIndex == nil {
			allErrs = append(allErrs, field.Required(fldPath.Child("backoffLimitPerIndex"), "when maxFailedIndexes is specified"))
		}
	}
	if spec.ManagedBy != nil {
		allErrs = append(allErrs, validation.IsDomainPrefixedPath(fldPath.Child("managedBy"), *spec.ManagedBy)...)
		if len(*spec.ManagedBy) > maxManagedByLength {
			allErrs = append(allErrs, field.TooLongMaxLength(fldPath.Child("managedBy"), *spec.ManagedBy, maxManagedByLength))
		}
	}
	if spec.CompletionMode != nil {
		if *spec.CompletionMode != batchv1.NonIndexedCompletion && *spec.CompletionMode != batchv1.IndexedCompletion {
			allErrs = append(allErrs, field.NotSupported(fldPath.Child("completionMode"), spec.CompletionMode,
				[]batchv1.CompletionMode{batchv1.NonIndexedCompletion, batchv1.IndexedCompletion}))
		}
		if *spec.CompletionMode == batchv1.IndexedCompletion {
			// Without completions there is no index range to run.
			if spec.Completions == nil {
				allErrs = append(allErrs, field.Required(fldPath.Child("completions"), fmt.Sprintf("when completion mode is %s", batchv1.IndexedCompletion)))
			}
			if spec.Parallelism != nil && *spec.Parallelism > maxParallelismForIndexedJob {
				allErrs = append(allErrs, field.Invalid(fldPath.Child("parallelism"), *spec.Parallelism,
					fmt.Sprintf("must be less than or equal to %d when completion mode is %s", maxParallelismForIndexedJob, batchv1.IndexedCompletion)))
			}
			if spec.Completions != nil && spec.MaxFailedIndexes != nil && *spec.MaxFailedIndexes > *spec.Completions {
				allErrs = append(allErrs, field.Invalid(fldPath.Child("maxFailedIndexes"), *spec.MaxFailedIndexes, "must be less than or equal to completions"))
			}
			if spec.MaxFailedIndexes != nil && *spec.MaxFailedIndexes > maxFailedIndexesLimitForBackoffLimitPerIndex {
				allErrs = append(allErrs, field.Invalid(fldPath.Child("maxFailedIndexes"), *spec.MaxFailedIndexes,
					fmt.Sprintf("must be less than or equal to %d", maxFailedIndexesLimitForBackoffLimitPerIndex)))
			}
			if spec.Completions != nil && *spec.Completions > completionsSoftLimit && spec.BackoffLimitPerIndex != nil &&
				spec.Parallelism != nil && *spec.Parallelism > parallelismLimitForHighCompletions {
				allErrs = append(allErrs, field.Invalid(fldPath.Child("parallelism"), *spec.Parallelism,
					fmt.Sprintf("must be less than or equal to %d when completions are above %d and used with backoff limit per index", parallelismLimitForHighCompletions, completionsSoftLimit)))
			}
		}
	}
	if !isIndexed(spec) {
		if spec.BackoffLimitPerIndex != nil {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("backoffLimitPerIndex"), *spec.BackoffLimitPerIndex, "requires indexed completion mode"))
		}
		if spec.MaxFailedIndexes != nil {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("maxFailedIndexes"), *spec.MaxFailedIndexes, "requires indexed completion mode"))
		}
	}
	if spec.PodFailurePolicy != nil {
		allErrs = append(allErrs, validatePodFailurePolicy(spec, fldPath.Child("podFailurePolicy"))...)
	}
	if spec.PodReplacementPolicy != nil {
		p := *spec.PodReplacementPolicy
		switch {
		case p != batchv1.TerminatingOrFailed && p != batchv1.Failed:
			allErrs = append(allErrs, field.NotSupported(fldPath.Child("podReplacementPolicy"), p, []batchv1.PodReplacementPolicy{batchv1.Failed, batchv1.TerminatingOrFailed}))
		case spec.PodFailurePolicy != nil && p != batchv1.Failed:
			allErrs = append(allErrs, field.NotSupported(fldPath.Child("podReplacementPolicy"), p, []batchv1.PodReplacementPolicy{batchv1.Failed}))
		}
	}

	tp := fldPath.Child("template")
	allErrs = append(allErrs, ValidatePodTemplateSpec(&spec.Template, tp)...)
	// A defaulted template has restartPolicy Always, which makes no sense for
	// run-to-completion pods; upstream reports it as a missing choice.
	rp := spec.Template.Spec.RestartPolicy
	rpPath := tp.Child("spec", "restartPolicy")
	switch {
	case rp == corev1.RestartPolicyAlways || rp == "":
		allErrs = append(allErrs, field.Required(rpPath, fmt.Sprintf("valid values: %q, %q", corev1.RestartPolicyOnFailure, corev1.RestartPolicyNever)))
	case rp != corev1.RestartPolicyOnFailure && rp != corev1.RestartPolicyNever:
		allErrs = append(allErrs, field.NotSupported(rpPath, rp, []corev1.RestartPolicy{corev1.RestartPolicyOnFailure, corev1.RestartPolicyNever}))
	case spec.PodFailurePolicy != nil && rp != corev1.RestartPolicyNever:
		allErrs = append(allErrs, field.Invalid(rpPath, rp, fmt.Sprintf("only %q is supported when podFailurePolicy is specified", corev1.RestartPolicyNever)))
	}
	return allErrs
}

var supportedPodFailurePolicyActions = []batchv1.PodFailurePolicyAction{
	batchv1.PodFailurePolicyActionCount, batchv1.PodFailurePolicyActionFailIndex,
	batchv1.PodFailurePolicyActionFailJob, batchv1.PodFailurePolicyActionIgnore,
}

func validatePodFailurePolicy(spec *batchv1.JobSpec, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	rulesPath := fldPath.Child("rules")
	rules := spec.PodFailurePolicy.Rules
	if len(rules) > maxPodFailurePolicyRules {
		allErrs = append(allErrs, field.TooMany(rulesPath, len(rules), maxPodFailurePolicyRules))
	}
	containers := sets.New[string]()
	for _, c := range spec.Template.Spec.Containers {
		containers.Insert(c.Name)
	}
	for _, c := range spec.Template.Spec.InitContainers {
		containers.Insert(c.Name)
	}
	for i := range rules {
		allErrs = append(allErrs, validatePodFailurePolicyRule(spec, &rules[i], rulesPath.Index(i), containers)...)
	}
	return allErrs
}

func validatePodFailurePolicyRule(spec *batchv1.JobSpec, rule *batchv1.PodFailurePolicyRule, rulePath *field.Path, containers sets.Set[string]) field.ErrorList {
	var allErrs field.ErrorList
	actionPath := rulePath.Child("action")
	switch rule.Action {
	case batchv1.PodFailurePolicyActionFailIndex:
		if spec.BackoffLimitPerIndex == nil {
			allErrs = append(allErrs, field.Invalid(actionPath, rule.Action, "requires the backoffLimitPerIndex to be set"))
		}
	case batchv1.PodFailurePolicyActionCount, batchv1.PodFailurePolicyActionFailJob, batchv1.PodFailurePolicyActionIgnore:
	default:
		allErrs = append(allErrs, field.NotSupported(actionPath, rule.Action, supportedPodFailurePolicyActions))
	}
	if rule.OnExitCodes != nil {
		allErrs = append(allErrs, validateOnExitCodes(rule.OnExitCodes, rulePath.Child("onExitCodes"), containers)...)
	}
	if len(rule.OnPodConditions) > 0 {
		allErrs = append(allErrs, validateOnPodConditions(rule.OnPodConditions, rulePath.Child("onPodConditions"))...)
	}
	if rule.OnExitCodes != nil && len(rule.OnPodConditions) > 0 {
		allErrs = append(allErrs, field.Invalid(rulePath, field.OmitValueType{}, "specifying both OnExitCodes and OnPodConditions is not supported"))
	}
	if rule.OnExitCodes == nil && len(rule.OnPodConditions) == 0 {
		allErrs = append(allErrs, field.Invalid(rulePath, field.OmitValueType{}, "specifying one of OnExitCodes and OnPodConditions is required"))
	}
	return allErrs
}

func validateOnExitCodes(req *batchv1.PodFailurePolicyOnExitCodesRequirement, fldPath *field.Path, containers sets.Set[string]) field.ErrorList {
	var allErrs field.ErrorList
	if req.Operator != batchv1.PodFailurePolicyOnExitCodesOpIn && req.Operator != batchv1.PodFailurePolicyOnExitCodesOpNotIn {
		allErrs = append(allErrs, field.NotSupported(fldPath.Child("operator"), req.Operator,
			[]batchv1.PodFailurePolicyOnExitCodesOperator{batchv1.PodFailurePolicyOnExitCodesOpIn, batchv1.PodFailurePolicyOnExitCodesOpNotIn}))
	}
	if req.ContainerName != nil && !containers.Has(*req.ContainerName) {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("containerName"), *req.ContainerName, "must be one of the container or initContainer names in the pod template"))
	}
	valuesPath := fldPath.Child("values")
	if len(req.Values) == 0 {
		allErrs = append(allErrs, field.Invalid(valuesPath, req.Values, "at least one value is required"))
	} else if len(req.Values) > maxPodFailurePolicyOnExitCodesValues {
		allErrs = append(allErrs, field.TooMany(valuesPath, len(req.Values), maxPodFailurePolicyOnExitCodesValues))
	}
	ordered := true
	seen := sets.New[int32]()
	for j, v := range req.Values {
		if req.Operator == batchv1.PodFailurePolicyOnExitCodesOpIn && v == 0 {
			allErrs = append(allErrs, field.Invalid(valuesPath.Index(j), v, "must not be 0 for the In operator"))
		}
		if seen.Has(v) {
			allErrs = append(allErrs, field.Duplicate(valuesPath.Index(j), v))
		}
		seen.Insert(v)
		if j > 0 && req.Values[j-1] > v {
			ordered = false
		}
	}
	if !ordered {
		allErrs = append(allErrs, field.Invalid(valuesPath, req.Values, "must be ordered"))
	}
	return allErrs
}

func validateOnPodConditions(patterns []batchv1.PodFailurePolicyOnPodConditionsPattern, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if len(patterns) > maxPodFailurePolicyOnPodConditionsPatterns {
		allErrs = append(allErrs, field.TooMany(fldPath, len(patterns), maxPodFailurePolicyOnPodConditionsPatterns))
	}
	for j, p := range patterns {
		pp := fldPath.Index(j)
		switch p.Status {
		case corev1.ConditionTrue, corev1.ConditionFalse, corev1.ConditionUnknown:
		case "":
			allErrs = append(allErrs, field.Required(pp.Child("status"), ""))
		default:
			allErrs = append(allErrs, field.NotSupported(pp.Child("status"), p.Status,
				[]corev1.ConditionStatus{corev1.ConditionFalse, corev1.ConditionTrue, corev1.ConditionUnknown}))
		}
		allErrs = append(allErrs, validateQualifiedName(string(p.Type), pp.Child("type"))...)
	}
	return allErrs
}

// ValidateJobUpdate checks a Job replacing old. The selector, completion
// mode and pod failure policy are fixed for the job's life; the template is
// fixed too, except scheduling directives of a suspended job that never
// started (so queueing systems can place it before it runs).
func ValidateJobUpdate(job, old *batchv1.Job) field.ErrorList {
	allErrs := ValidateObjectMetaUpdate(&job.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	specPath := field.NewPath("spec")
	spec, oldSpec := &job.Spec, &old.Spec
	allErrs = append(allErrs, ValidateJobSpec(spec, specPath)...)
	allErrs = append(allErrs, validateCompletionsUpdate(spec, oldSpec, specPath.Child("completions"))...)
	allErrs = append(allErrs, validateImmutable(spec.Selector, oldSpec.Selector, specPath.Child("selector"))...)
	suspendedNotStarted := old.Spec.Suspend != nil && *old.Spec.Suspend && old.Status.StartTime == nil
	allErrs = append(allErrs, validateJobTemplateUpdate(spec, oldSpec, suspendedNotStarted, specPath)...)
	allErrs = append(allErrs, validateImmutable(spec.CompletionMode, oldSpec.CompletionMode, specPath.Child("completionMode"))...)
	allErrs = append(allErrs, validateImmutable(spec.PodFailurePolicy, oldSpec.PodFailurePolicy, specPath.Child("podFailurePolicy"))...)
	allErrs = append(allErrs, validateImmutable(spec.BackoffLimitPerIndex, oldSpec.BackoffLimitPerIndex, specPath.Child("backoffLimitPerIndex"))...)
	allErrs = append(allErrs, validateImmutable(spec.ManagedBy, oldSpec.ManagedBy, specPath.Child("managedBy"))...)
	allErrs = append(allErrs, validateImmutable(spec.SuccessPolicy, oldSpec.SuccessPolicy, specPath.Child("successPolicy"))...)
	return allErrs
}

// validateCompletionsUpdate: completions is immutable, except that an
// Indexed job may be scaled by changing completions and parallelism together.
func validateCompletionsUpdate(spec, oldSpec *batchv1.JobSpec, fldPath *field.Path) field.ErrorList {
	if !isIndexed(spec) {
		return validateImmutable(spec.Completions, oldSpec.Completions, fldPath)
	}
	if semanticEqual(spec.Completions, oldSpec.Completions) || spec.Completions == nil {
		return nil
	}
	if spec.Parallelism == nil || *spec.Completions != *spec.Parallelism {
		return field.ErrorList{field.Invalid(fldPath, spec.Completions, fmt.Sprintf("can only be modified in tandem with %s", fldPath.Root().Child("parallelism").String()))}
	}
	return nil
}

func validateJobTemplateUpdate(spec, oldSpec *batchv1.JobSpec, allowSchedulingChanges bool, fldPath *field.Path) field.ErrorList {
	template := &spec.Template
	oldTemplate := &oldSpec.Template
	if allowSchedulingChanges {
		oldTemplate = oldSpec.Template.DeepCopy()
		switch {
		case template.Spec.Affinity == nil && oldTemplate.Spec.Affinity != nil:
			oldTemplate.Spec.Affinity.NodeAffinity = nil
			if *oldTemplate.Spec.Affinity == (corev1.Affinity{}) {
				oldTemplate.Spec.Affinity = nil
			}
		case template.Spec.Affinity != nil && oldTemplate.Spec.Affinity == nil:
			oldTemplate.Spec.Affinity = &corev1.Affinity{NodeAffinity: template.Spec.Affinity.NodeAffinity}
		case template.Spec.Affinity != nil && oldTemplate.Spec.Affinity != nil:
			oldTemplate.Spec.Affinity.NodeAffinity = template.Spec.Affinity.NodeAffinity
		}
		oldTemplate.Spec.NodeSelector = template.Spec.NodeSelector
		oldTemplate.Spec.Tolerations = template.Spec.Tolerations
		oldTemplate.Annotations = template.Annotations
		oldTemplate.Labels = template.Labels
		oldTemplate.Spec.SchedulingGates = template.Spec.SchedulingGates
	}
	return validateImmutable(template, oldTemplate, fldPath.Child("template"))
}

// ValidateJobStatusUpdate checks a write to jobs/status (counts only; the
// controller is the only writer).
func ValidateJobStatusUpdate(job, old *batchv1.Job) field.ErrorList {
	allErrs := ValidateObjectMetaUpdate(&job.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	p := field.NewPath("status")
	s := &job.Status
	allErrs = append(allErrs, validateNonnegative(int64(s.Active), p.Child("active"))...)
	allErrs = append(allErrs, validateNonnegative(int64(s.Succeeded), p.Child("succeeded"))...)
	allErrs = append(allErrs, validateNonnegative(int64(s.Failed), p.Child("failed"))...)
	if s.Ready != nil {
		allErrs = append(allErrs, validateNonnegative(int64(*s.Ready), p.Child("ready"))...)
	}
	if s.Terminating != nil {
		allErrs = append(allErrs, validateNonnegative(int64(*s.Terminating), p.Child("terminating"))...)
	}
	return allErrs
}
