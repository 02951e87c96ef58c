package defaults

import (
	"math"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
)

// DefaultJob fills in a Job's defaults.
//
// completions is defaulted to 1 only when parallelism is unset too: a Job that
// sets parallelism alone is a work queue (done when any pod succeeds), and
// defaulting completions would change its meaning. backoffLimit is unlimited
// when backoffLimitPerIndex governs retries instead. The selector is not a
// default: the Job registry generates it from the Job's UID.
//
// WARNING: a Job without labels takes its template's label map itself, not a
// copy, exactly as upstream. When the registry then adds the generated
// selector labels to the template, they show up in the Job's own labels too,
// which is what users see on real clusters. Upstream also re-runs defaulting
// whenever it reads a Job back from storage, which gives the same result for
// Jobs whose template had no labels at all.
func DefaultJob(job *batchv1.Job) {
	spec := &job.Spec
	if spec.Completions == nil && spec.Parallelism == nil {
		spec.Completions = ptr.To[int32](1)
		spec.Parallelism = ptr.To[int32](1)
	}
	if spec.Parallelism == nil {
		spec.Parallelism = ptr.To[int32](1)
	}
	if spec.BackoffLimit == nil {
		if spec.BackoffLimitPerIndex != nil {
			spec.BackoffLimit = ptr.To[int32](math.MaxInt32)
		} else {
			spec.BackoffLimit = ptr.To[int32](6)
		}
	}
	if labels := spec.Template.Labels; labels != nil && len(job.Labels) == 0 {
		job.Labels = labels
	}
	if spec.CompletionMode == nil {
		spec.CompletionMode = ptr.To(batchv1.NonIndexedCompletion)
	}
	if spec.Suspend == nil {
		spec.Suspend = ptr.To(false)
	}
	// JobPodReplacementPolicy is on by default in 1.32. With a pod failure
	// policy a replacement must wait until the old pod has fully failed, so
	// the policy can look at how it ended.
	if spec.PodReplacementPolicy == nil {
		if spec.PodFailurePolicy != nil {
			spec.PodReplacementPolicy = ptr.To(batchv1.Failed)
		} else {
			spec.PodReplacementPolicy = ptr.To(batchv1.TerminatingOrFailed)
		}
	}
	if spec.ManualSelector == nil {
		spec.ManualSelector = ptr.To(false)
	}
	defaultPodFailurePolicy(spec.PodFailurePolicy)
	DefaultPodTemplateSpec(&spec.Template)
}

// DefaultCronJob fills in a CronJob's defaults and its job template's pod
// template. The job template's own spec (parallelism, backoffLimit, ...) is
// deliberately left alone, as upstream does: those are defaulted on each Job
// when the CronJob controller creates it.
func DefaultCronJob(cj *batchv1.CronJob) {
	spec := &cj.Spec
	if spec.ConcurrencyPolicy == "" {
		spec.ConcurrencyPolicy = batchv1.AllowConcurrent
	}
	if spec.Suspend == nil {
		spec.Suspend = ptr.To(false)
	}
	if spec.SuccessfulJobsHistoryLimit == nil {
		spec.SuccessfulJobsHistoryLimit = ptr.To[int32](3)
	}
	if spec.FailedJobsHistoryLimit == nil {
		spec.FailedJobsHistoryLimit = ptr.To[int32](1)
	}
	// Upstream began defaulting this inside job templates with
	// kubernetes#131525 (April 2025, after 1.32.0); before the fix such a
	// CronJob failed validation with "status: Required value" although the
	// field is documented as optional. We take the fix.
	defaultPodFailurePolicy(spec.JobTemplate.Spec.PodFailurePolicy)
	DefaultPodTemplateSpec(&spec.JobTemplate.Spec.Template)
}

// defaultPodFailurePolicy makes a pod condition pattern without a status
// match conditions that are True, the only useful reading.
func defaultPodFailurePolicy(policy *batchv1.PodFailurePolicy) {
	if policy == nil {
		return
	}
	for i := range policy.Rules {
		for j := range policy.Rules[i].OnPodConditions {
			if pattern := &policy.Rules[i].OnPodConditions[j]; pattern.Status == "" {
				pattern.Status = corev1.ConditionTrue
			}
		}
	}
}
