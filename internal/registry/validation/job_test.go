package validation

import (
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

func TestJobCreate(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*batchv1.Job)
		want   []string
	}{
		{"valid", func(*batchv1.Job) {}, nil},
		{"negative counts", func(j *batchv1.Job) {
			j.Spec.Parallelism = ptr.To[int32](-1)
			j.Spec.Completions = ptr.To[int32](-1)
			j.Spec.BackoffLimit = ptr.To[int32](-1)
			j.Spec.ActiveDeadlineSeconds = ptr.To[int64](-1)
		}, []string{
			"spec.parallelism: Invalid value: -1: must be greater than or equal to 0",
			"spec.completions: Invalid value: -1: must be greater than or equal to 0",
			"spec.activeDeadlineSeconds: Invalid value: -1: must be greater than or equal to 0",
			"spec.backoffLimit: Invalid value: -1: must be greater than or equal to 0",
		}},
		{"restartPolicy Always", func(j *batchv1.Job) { j.Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyAlways }, []string{
			`spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"`,
		}},
		{"indexed needs completions", func(j *batchv1.Job) {
			j.Spec.CompletionMode = ptr.To(batchv1.IndexedCompletion)
			j.Spec.Completions = nil
		}, []string{"spec.completions: Required value: when completion mode is Indexed"}},
		{"bad completion mode", func(j *batchv1.Job) { j.Spec.CompletionMode = ptr.To(batchv1.CompletionMode("Sequential")) }, []string{
			`spec.completionMode: Unsupported value: "Sequential": supported values: "NonIndexed", "Indexed"`,
		}},
		{"indexed hostname too long", func(j *batchv1.Job) {
			name := strings.Repeat("a", 62)
			j.Name = name
			j.Spec.CompletionMode = ptr.To(batchv1.IndexedCompletion)
			j.Spec.Completions = ptr.To[int32](10)
			j.Spec.Template.Labels["batch.kubernetes.io/job-name"] = name
			j.Spec.Template.Labels["job-name"] = name
		}, []string{"metadata.name: Invalid value: \"" + strings.Repeat("a", 62) + "\": will not able to create pod with invalid DNS label: " + strings.Repeat("a", 62) + "-9"}},
		{"backoffLimitPerIndex needs indexed", func(j *batchv1.Job) { j.Spec.BackoffLimitPerIndex = ptr.To[int32](1) }, []string{
			"spec.backoffLimitPerIndex: Invalid value: 1: requires indexed completion mode",
		}},
		{"selector does not match", func(j *batchv1.Job) {
			j.Spec.ManualSelector = ptr.To(true)
			j.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": "x"}}
		}, []string{"spec.template.metadata.labels: Invalid value: map[string]string{\"batch.kubernetes.io/controller-uid\":\"" + jobUID + "\", \"batch.kubernetes.io/job-name\":\"pi\", \"controller-uid\":\"" + jobUID + "\", \"job-name\":\"pi\"}: `selector` does not match template `labels`"}},
		{"user selector without manualSelector", func(j *batchv1.Job) {
			j.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"job-name": "pi"}}
		}, []string{"spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"job-name\":\"pi\"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: `selector` not auto-generated"}},
		{"generated label missing", func(j *batchv1.Job) { delete(j.Spec.Template.Labels, "batch.kubernetes.io/job-name") }, []string{
			"spec.template.metadata.labels[batch.kubernetes.io/job-name]: Required value: must be 'pi'",
		}},
		{"pod failure policy needs Never", func(j *batchv1.Job) {
			j.Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyOnFailure
			j.Spec.PodReplacementPolicy = ptr.To(batchv1.Failed)
			j.Spec.PodFailurePolicy = &batchv1.PodFailurePolicy{Rules: []batchv1.PodFailurePolicyRule{{
				Action:      batchv1.PodFailurePolicyActionFailJob,
				OnExitCodes: &batchv1.PodFailurePolicyOnExitCodesRequirement{Operator: batchv1.PodFailurePolicyOnExitCodesOpIn, Values: []int32{42}},
			}}}
		}, []string{`spec.template.spec.restartPolicy: Invalid value: "OnFailure": only "Never" is supported when podFailurePolicy is specified`}},
		{"pod failure policy rules", func(j *batchv1.Job) {
			j.Spec.PodReplacementPolicy = ptr.To(batchv1.Failed)
			j.Spec.PodFailurePolicy = &batchv1.PodFailurePolicy{Rules: []batchv1.PodFailurePolicyRule{
				{Action: "Retry", OnExitCodes: &batchv1.PodFailurePolicyOnExitCodesRequirement{
					ContainerName: ptr.To("nope"), Operator: batchv1.PodFailurePolicyOnExitCodesOpIn, Values: []int32{0, 3, 2},
				}},
				{Action: batchv1.PodFailurePolicyActionIgnore},
			}}
		}, []string{
			`spec.podFailurePolicy.rules[0].action: Unsupported value: "Retry": supported values: "Count", "FailIndex", "FailJob", "Ignore"`,
			`spec.podFailurePolicy.rules[0].onExitCodes.containerName: Invalid value: "nope": must be one of the container or initContainer names in the pod template`,
			"spec.podFailurePolicy.rules[0].onExitCodes.values[0]: Invalid value: 0: must not be 0 for the In operator",
			"spec.podFailurePolicy.rules[0].onExitCodes.values: Invalid value: []int32{0, 3, 2}: must be ordered",
			"spec.podFailurePolicy.rules[1]: Invalid value: specifying one of OnExitCodes and OnPodConditions is required",
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			j := validJob()
			tc.mutate(j)
			expectErrors(t, Validate(j), tc.want...)
		})
	}
}

func TestJobUpdate(t *testing.T) {
	cases := []struct {
		name   string
		old    func(*batchv1.Job)
		mutate func(*batchv1.Job)
		want   []string
	}{
		{name: "suspend and parallelism", mutate: func(j *batchv1.Job) {
			j.Spec.Suspend = ptr.To(true)
			j.Spec.Parallelism = ptr.To[int32](3)
		}},
		{name: "completions immutable", mutate: func(j *batchv1.Job) { j.Spec.Completions = ptr.To[int32](2) },
			want: []string{"spec.completions: Invalid value: 2: field is immutable"}},
		{name: "elastic indexed job", old: func(j *batchv1.Job) {
			j.Spec.CompletionMode = ptr.To(batchv1.IndexedCompletion)
		}, mutate: func(j *batchv1.Job) {
			j.Spec.Completions = ptr.To[int32](4)
			j.Spec.Parallelism = ptr.To[int32](4)
		}},
		{name: "indexed completions alone", old: func(j *batchv1.Job) {
			j.Spec.CompletionMode = ptr.To(batchv1.IndexedCompletion)
		}, mutate: func(j *batchv1.Job) { j.Spec.Completions = ptr.To[int32](4) },
			want: []string{"spec.completions: Invalid value: 4: can only be modified in tandem with spec.parallelism"}},
		{name: "completionMode immutable", mutate: func(j *batchv1.Job) { j.Spec.CompletionMode = ptr.To(batchv1.IndexedCompletion) },
			want: []string{`spec.completionMode: Invalid value: "Indexed": field is immutable`}},
		{name: "template immutable", mutate: func(j *batchv1.Job) { j.Spec.Template.Spec.Containers[0].Image = "other" }},
		{name: "node selector of unstarted suspended job", old: func(j *batchv1.Job) { j.Spec.Suspend = ptr.To(true) },
			mutate: func(j *batchv1.Job) { j.Spec.Template.Spec.NodeSelector = map[string]string{"zone": "a"} }},
		{name: "node selector of started suspended job", old: func(j *batchv1.Job) {
			j.Spec.Suspend = ptr.To(true)
			j.Status.StartTime = ptr.To(metav1.Now())
		}, mutate: func(j *batchv1.Job) { j.Spec.Template.Spec.NodeSelector = map[string]string{"zone": "a"} }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			old := validJob()
			if tc.old != nil {
				tc.old(old)
			}
			j := old.DeepCopy()
			tc.mutate(j)
			errs := ValidateUpdate(j, old)
			switch tc.name {
			case "template immutable", "node selector of started suspended job":
				if len(errs) != 1 || errs[0].Field != "spec.template" || errs[0].Detail != "field is immutable" {
					t.Fatalf("got %v", errs)
				}
				return
			}
			expectErrors(t, errs, tc.want...)
		})
	}
}

func TestCronJob(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*batchv1.CronJob)
		want   []string
	}{
		{"valid", func(*batchv1.CronJob) {}, nil},
		{"macro", func(c *batchv1.CronJob) { c.Spec.Schedule = "@hourly" }, nil},
		{"names", func(c *batchv1.CronJob) { c.Spec.Schedule = "0 9 * JAN-mar mon-FRI" }, nil},
		{"schedule required", func(c *batchv1.CronJob) { c.Spec.Schedule = "" }, []string{"spec.schedule: Required value"}},
		{"minute out of range", func(c *batchv1.CronJob) { c.Spec.Schedule = "61 * * * *" }, []string{
			`spec.schedule: Invalid value: "61 * * * *": end of range (61) above maximum (59): 61`,
		}},
		{"too few fields", func(c *batchv1.CronJob) { c.Spec.Schedule = "* * *" }, []string{
			`spec.schedule: Invalid value: "* * *": expected exactly 5 fields, found 3: [* * *]`,
		}},
		{"TZ in schedule", func(c *batchv1.CronJob) { c.Spec.Schedule = "CRON_TZ=UTC * * * * *" }, []string{
			`spec.schedule: Invalid value: "CRON_TZ=UTC * * * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead`,
		}},
		{"time zone", func(c *batchv1.CronJob) { c.Spec.TimeZone = ptr.To("Europe/Berlin") }, nil},
		{"unknown time zone", func(c *batchv1.CronJob) { c.Spec.TimeZone = ptr.To("Mars/Olympus") }, []string{
			`spec.timeZone: Invalid value: "Mars/Olympus": unknown time zone Mars/Olympus`,
		}},
		{"Local time zone", func(c *batchv1.CronJob) { c.Spec.TimeZone = ptr.To("Local") }, []string{
			`spec.timeZone: Invalid value: "Local": timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones`,
		}},
		{"empty time zone", func(c *batchv1.CronJob) { c.Spec.TimeZone = ptr.To("") }, []string{
			`spec.timeZone: Invalid value: "": timeZone must be nil or non-empty string`,
		}},
		{"concurrencyPolicy", func(c *batchv1.CronJob) { c.Spec.ConcurrencyPolicy = "Queue" }, []string{
			`spec.concurrencyPolicy: Unsupported value: "Queue": supported values: "Allow", "Forbid", "Replace"`,
		}},
		{"name too long", func(c *batchv1.CronJob) { c.Name = strings.Repeat("c", 53) }, []string{
			`metadata.name: Invalid value: "` + strings.Repeat("c", 53) + `": must be no more than 52 characters`,
		}},
		{"job template restartPolicy", func(c *batchv1.CronJob) {
			c.Spec.JobTemplate.Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyAlways
		}, []string{`spec.jobTemplate.spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"`}},
		{"job template selector", func(c *batchv1.CronJob) {
			c.Spec.JobTemplate.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"a": "b"}}
		}, []string{"spec.jobTemplate.spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"a\":\"b\"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: `selector` will be auto-generated"}},
		{"negative history", func(c *batchv1.CronJob) { c.Spec.FailedJobsHistoryLimit = ptr.To[int32](-1) }, []string{
			"spec.failedJobsHistoryLimit: Invalid value: -1: must be greater than or equal to 0",
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := validCronJob()
			tc.mutate(c)
			expectErrors(t, Validate(c), tc.want...)
		})
	}
}

func TestCronJobUpdateKeepsLegacyTZ(t *testing.T) {
	old := validCronJob()
	old.Spec.Schedule = "TZ=UTC 0 * * * *"
	c := old.DeepCopy()
	c.Spec.Suspend = ptr.To(true)
	expectErrors(t, ValidateUpdate(c, old))

	c.Spec.TimeZone = ptr.To("UTC")
	expectErrors(t, ValidateUpdate(c, old), `spec.schedule: Invalid value: "TZ=UTC 0 * * * *": cannot use both timeZone field and TZ or CRON_TZ in schedule`)

	fresh := validCronJob()
	c = fresh.DeepCopy()
	c.Spec.Schedule = "TZ=UTC 0 * * * *"
	expectErrors(t, ValidateUpdate(c, fresh), `spec.schedule: Invalid value: "TZ=UTC 0 * * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead`)
}
