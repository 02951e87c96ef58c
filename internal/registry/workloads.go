package registry

import (
	"context"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
)

func selectorString(sel *metav1.LabelSelector) string {
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		return ""
	}
	return s.String()
}

func replicas(p *int32) int32 {
	if p == nil {
		return 1
	}
	return *p
}

var statefulSetScale = &ScaleAccess{
	Get: func(obj runtime.Object) (int32, int32, string) {
		s := obj.(*appsv1.StatefulSet)
		return replicas(s.Spec.Replicas), s.Status.Replicas, selectorString(s.Spec.Selector)
	},
	Set: func(obj runtime.Object, n int32) { obj.(*appsv1.StatefulSet).Spec.Replicas = &n },
}

var deploymentScale = &ScaleAccess{
	Get: func(obj runtime.Object) (int32, int32, string) {
		d := obj.(*appsv1.Deployment)
		return replicas(d.Spec.Replicas), d.Status.Replicas, selectorString(d.Spec.Selector)
	},
	Set: func(obj runtime.Object, n int32) { obj.(*appsv1.Deployment).Spec.Replicas = &n },
}

var replicaSetScale = &ScaleAccess{
	Get: func(obj runtime.Object) (int32, int32, string) {
		rs := obj.(*appsv1.ReplicaSet)
		return replicas(rs.Spec.Replicas), rs.Status.Replicas, selectorString(rs.Spec.Selector)
	},
	Set: func(obj runtime.Object, n int32) { obj.(*appsv1.ReplicaSet).Spec.Replicas = &n },
}

var replicationControllerScale = &ScaleAccess{
	Get: func(obj runtime.Object) (int32, int32, string) {
		rc := obj.(*corev1.ReplicationController)
		return replicas(rc.Spec.Replicas), rc.Status.Replicas, selectorString(&metav1.LabelSelector{MatchLabels: rc.Spec.Selector})
	},
	Set: func(obj runtime.Object, n int32) { obj.(*corev1.ReplicationController).Spec.Replicas = &n },
}

func replicaSetFields(obj runtime.Object) fields.Set {
	return fields.Set{"status.replicas": strconv.Itoa(int(obj.(*appsv1.ReplicaSet).Status.Replicas))}
}

func replicationControllerFields(obj runtime.Object) fields.Set {
	return fields.Set{"status.replicas": strconv.Itoa(int(obj.(*corev1.ReplicationController).Status.Replicas))}
}

func jobFields(obj runtime.Object) fields.Set {
	return fields.Set{"status.successful": strconv.Itoa(int(obj.(*batchv1.Job).Status.Succeeded))}
}

// Labels upstream's job strategy puts on a Job's selector and pods.
const (
	jobControllerUIDLabel       = "batch.kubernetes.io/controller-uid"
	jobNameLabel                = "batch.kubernetes.io/job-name"
	legacyJobControllerUIDLabel = "controller-uid"
	legacyJobNameLabel          = "job-name"
)

// prepareJob generates the selector of a Job that does not set manualSelector, as upstream:
// the pods are selected by the Job's UID.
func prepareJob(_ context.Context, _ *Registry, obj runtime.Object) error {
	job := obj.(*batchv1.Job)
	job.Status = batchv1.JobStatus{}
	if job.Spec.ManualSelector != nil && *job.Spec.ManualSelector {
		return nil
	}
	uid := string(job.UID)
	labels := job.Spec.Template.Labels
	if labels == nil {
		labels = map[string]string{}
	}
	for k, v := range map[string]string{
		jobControllerUIDLabel: uid, jobNameLabel: job.Name,
		legacyJobControllerUIDLabel: uid, legacyJobNameLabel: job.Name,
	} {
		if _, ok := labels[k]; !ok {
			labels[k] = v
		}
	}
	job.Spec.Template.Labels = labels
	if job.Spec.Selector == nil {
		job.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{jobControllerUIDLabel: uid}}
	}
	return nil
}

// daemonSetTemplateGeneration is the annotation upstream keeps on DaemonSets: 1 on create,
// one more on each template change.
const daemonSetTemplateGeneration = "deprecated.daemonset.template.generation"

func prepareDaemonSet(_ context.Context, _ *Registry, obj runtime.Object) error {
	ds := obj.(*appsv1.DaemonSet)
	if ds.Annotations == nil {
		ds.Annotations = map[string]string{}
	}
	ds.Annotations[daemonSetTemplateGeneration] = "1"
	return nil
}

func bumpDaemonSetTemplateGeneration(obj, old runtime.Object) {
	ds, prev := obj.(*appsv1.DaemonSet), old.(*appsv1.DaemonSet)
	gen, _ := strconv.ParseInt(prev.Annotations[daemonSetTemplateGeneration], 10, 64)
	if !equality.Semantic.DeepEqual(ds.Spec.Template, prev.Spec.Template) {
		gen++
	}
	if gen == 0 {
		gen = 1
	}
	if ds.Annotations == nil {
		ds.Annotations = map[string]string{}
	}
	ds.Annotations[daemonSetTemplateGeneration] = strconv.FormatInt(gen, 10)
}
