package defaults

import (
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// jobTemplateWant is the defaulted spec of a busybox:1.36 pod template with
// restartPolicy Never, indented for spec.template.
const jobTemplateWant = `
    spec:
      containers:
      - name: c
        image: busybox:1.36
        imagePullPolicy: IfNotPresent
        resources: {}
        terminationMessagePath: /dev/termination-log
        terminationMessagePolicy: File
      dnsPolicy: ClusterFirst
      restartPolicy: Never
      schedulerName: default-scheduler
      securityContext: {}
      terminationGracePeriodSeconds: 30
`

const jobTemplate = `
    spec:
      restartPolicy: Never
      containers:
      - {name: c, image: busybox:1.36}
`

func TestDefaultJob(t *testing.T) {
	runDefaultingCases[batchv1.Job](t, []defaultingCase{{
		name: "minimal job runs one pod to completion",
		input: `
apiVersion: batch/v1
kind: Job
metadata: {name: pi}
spec:
  template:` + jobTemplate,
		want: `
apiVersion: batch/v1
kind: Job
metadata: {name: pi}
spec:
  backoffLimit: 6
  completionMode: NonIndexed
  completions: 1
  manualSelector: false
  parallelism: 1
  podReplacementPolicy: TerminatingOrFailed
  suspend: false
  template:
    metadata: {}` + jobTemplateWant + `
status: {}
`,
	}, {
		name: "parallelism alone makes a work queue: completions stay unset",
		input: `
metadata: {name: q}
spec:
  parallelism: 3
  template:` + jobTemplate,
		want: `
metadata: {name: q}
spec:
  backoffLimit: 6
  completionMode: NonIndexed
  manualSelector: false
  parallelism: 3
  podReplacementPolicy: TerminatingOrFailed
  suspend: false
  template:
    metadata: {}` + jobTemplateWant + `
status: {}
`,
	}, {
		name: "per-index backoff makes the global limit unlimited",
		input: `
metadata: {name: idx}
spec:
  completions: 5
  completionMode: Indexed
  backoffLimitPerIndex: 1
  template:` + jobTemplate,
		want: `
metadata: {name: idx}
spec:
  backoffLimit: 2147483647
  backoffLimitPerIndex: 1
  completionMode: Indexed
  completions: 5
  manualSelector: false
  parallelism: 1
  podReplacementPolicy: TerminatingOrFailed
  suspend: false
  template:
    metadata: {}` + jobTemplateWant + `
status: {}
`,
	}, {
		name: "a pod failure policy waits for failed pods and matches True conditions",
		input: `
metadata: {name: pfp}
spec:
  podFailurePolicy:
    rules:
    - action: Ignore
      onPodConditions:
      - type: DisruptionTarget
      - {type: ConfigIssue, status: "False"}
  template:` + jobTemplate,
		want: `
metadata: {name: pfp}
spec:
  backoffLimit: 6
  completionMode: NonIndexed
  completions: 1
  manualSelector: false
  parallelism: 1
  podFailurePolicy:
    rules:
    - action: Ignore
      onPodConditions:
      - {type: DisruptionTarget, status: "True"}
      - {type: ConfigIssue, status: "False"}
  podReplacementPolicy: Failed
  suspend: false
  template:
    metadata: {}` + jobTemplateWant + `
status: {}
`,
	}, {
		name: "labels come from the template when the job has none",
		input: `
metadata: {name: pi}
spec:
  template:
    metadata:
      labels: {app: pi}` + jobTemplate,
		want: `
metadata:
  name: pi
  labels: {app: pi}
spec:
  backoffLimit: 6
  completionMode: NonIndexed
  completions: 1
  manualSelector: false
  parallelism: 1
  podReplacementPolicy: TerminatingOrFailed
  suspend: false
  template:
    metadata:
      labels: {app: pi}` + jobTemplateWant + `
status: {}
`,
	}, {
		name: "user values are kept",
		input: `
metadata:
  name: pi
  labels: {team: a}
spec:
  backoffLimit: 0
  completions: 4
  parallelism: 2
  completionMode: NonIndexed
  suspend: true
  manualSelector: true
  selector: {matchLabels: {app: pi}}
  podReplacementPolicy: Failed
  template:
    metadata:
      labels: {app: pi}` + jobTemplate,
		want: `
metadata:
  name: pi
  labels: {team: a}
spec:
  backoffLimit: 0
  completions: 4
  parallelism: 2
  completionMode: NonIndexed
  suspend: true
  manualSelector: true
  selector: {matchLabels: {app: pi}}
  podReplacementPolicy: Failed
  template:
    metadata:
      labels: {app: pi}` + jobTemplateWant + `
status: {}
`,
	}})
}

// The Job's labels are the template's label map itself, as upstream: labels
// the registry later adds to the template (the generated selector) show on
// the Job too.
func TestDefaultJobSharesTemplateLabels(t *testing.T) {
	job := &batchv1.Job{Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "pi"}},
	}}}
	Default(job)
	job.Spec.Template.Labels["batch.kubernetes.io/job-name"] = "pi"
	if job.Labels["batch.kubernetes.io/job-name"] != "pi" {
		t.Errorf("job labels = %v, want them to share the template's map", job.Labels)
	}
}

func TestDefaultCronJob(t *testing.T) {
	runDefaultingCases[batchv1.CronJob](t, []defaultingCase{{
		name: "minimal cron job; the job template's own spec is not defaulted",
		input: `
apiVersion: batch/v1
kind: CronJob
metadata: {name: hello}
spec:
  schedule: "*/1 * * * *"
  jobTemplate:
    spec:
      podFailurePolicy:
        rules:
        - action: Ignore
          onPodConditions:
          - type: DisruptionTarget
      template:` + indent(jobTemplate, "    "),
		want: `
apiVersion: batch/v1
kind: CronJob
metadata: {name: hello}
spec:
  concurrencyPolicy: Allow
  failedJobsHistoryLimit: 1
  schedule: "*/1 * * * *"
  successfulJobsHistoryLimit: 3
  suspend: false
  jobTemplate:
    metadata: {}
    spec:
      podFailurePolicy:
        rules:
        - action: Ignore
          onPodConditions:
          - {type: DisruptionTarget, status: "True"}
      template:
        metadata: {}` + indent(jobTemplateWant, "    ") + `
status: {}
`,
	}, {
		name: "user values are kept",
		input: `
metadata: {name: hello}
spec:
  schedule: "@daily"
  concurrencyPolicy: Forbid
  suspend: true
  successfulJobsHistoryLimit: 0
  failedJobsHistoryLimit: 5
  jobTemplate:
    spec:
      template:` + indent(jobTemplate, "    "),
		want: `
metadata: {name: hello}
spec:
  schedule: "@daily"
  concurrencyPolicy: Forbid
  suspend: true
  successfulJobsHistoryLimit: 0
  failedJobsHistoryLimit: 5
  jobTemplate:
    metadata: {}
    spec:
      template:
        metadata: {}` + indent(jobTemplateWant, "    ") + `
status: {}
`,
	}})
}
