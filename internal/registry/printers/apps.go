package printers

import (
	"fmt"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	appsv1beta1 "k8s.io/api/apps/v1beta1"
	corev1 "k8s.io/api/core/v1"
	extensionsv1beta1 "k8s.io/api/extensions/v1beta1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Upstream describes apps columns with the docs of the older
// extensions/v1beta1 and apps/v1beta1 types; we keep its text.

var statefulSetColumns = []metav1.TableColumnDefinition{
	nameColumn(),
	column("Ready", "string", "Number of the pod with ready state"),
	ageColumn(),
	containersColumn(),
	imagesColumn(),
}

func printStatefulSet(set *appsv1.StatefulSet, now time.Time) (metav1.TableRow, error) {
	names, images := containerCells(set.Spec.Template.Spec.Containers)
	return newRow(set,
		set.Name,
		fmt.Sprintf("%d/%d", set.Status.ReadyReplicas, desiredReplicas(set.Spec.Replicas)),
		age(set.CreationTimestamp, now),
		names,
		images,
	), nil
}

var deploymentColumns = []metav1.TableColumnDefinition{
	nameColumn(),
	column("Ready", "string", "Number of the pod with ready state"),
	column("Up-to-date", "string", extensionsv1beta1.DeploymentStatus{}.SwaggerDoc()["updatedReplicas"]),
	column("Available", "string", extensionsv1beta1.DeploymentStatus{}.SwaggerDoc()["availableReplicas"]),
	ageColumn(),
	containersColumn(),
	imagesColumn(),
	wideColumn("Selector", "string", extensionsv1beta1.DeploymentSpec{}.SwaggerDoc()["selector"]),
}

func printDeployment(d *appsv1.Deployment, now time.Time) (metav1.TableRow, error) {
	names, images := containerCells(d.Spec.Template.Spec.Containers)
	// Unlike the other workloads, upstream prints the deployment selector
	// without the "<none>" placeholder.
	selector := "<invalid>"
	if s, err := metav1.LabelSelectorAsSelector(d.Spec.Selector); err == nil {
		selector = s.String()
	}
	return newRow(d,
		d.Name,
		fmt.Sprintf("%d/%d", d.Status.ReadyReplicas, desiredReplicas(d.Spec.Replicas)),
		int64(d.Status.UpdatedReplicas),
		int64(d.Status.AvailableReplicas),
		age(d.CreationTimestamp, now),
		names,
		images,
		selector,
	), nil
}

var replicaSetColumns = []metav1.TableColumnDefinition{
	nameColumn(),
	column("Desired", "integer", extensionsv1beta1.ReplicaSetSpec{}.SwaggerDoc()["replicas"]),
	column("Current", "integer", extensionsv1beta1.ReplicaSetStatus{}.SwaggerDoc()["replicas"]),
	column("Ready", "integer", extensionsv1beta1.ReplicaSetStatus{}.SwaggerDoc()["readyReplicas"]),
	ageColumn(),
	containersColumn(),
	imagesColumn(),
	wideColumn("Selector", "string", extensionsv1beta1.ReplicaSetSpec{}.SwaggerDoc()["selector"]),
}

func printReplicaSet(rs *appsv1.ReplicaSet, now time.Time) (metav1.TableRow, error) {
	names, images := containerCells(rs.Spec.Template.Spec.Containers)
	return newRow(rs,
		rs.Name,
		desiredReplicas(rs.Spec.Replicas),
		int64(rs.Status.Replicas),
		int64(rs.Status.ReadyReplicas),
		age(rs.CreationTimestamp, now),
		names,
		images,
		metav1.FormatLabelSelector(rs.Spec.Selector),
	), nil
}

var daemonSetStatusDoc = extensionsv1beta1.DaemonSetStatus{}.SwaggerDoc()

var daemonSetColumns = []metav1.TableColumnDefinition{
	nameColumn(),
	column("Desired", "integer", daemonSetStatusDoc["desiredNumberScheduled"]),
	column("Current", "integer", daemonSetStatusDoc["currentNumberScheduled"]),
	column("Ready", "integer", daemonSetStatusDoc["numberReady"]),
	column("Up-to-date", "integer", daemonSetStatusDoc["updatedNumberScheduled"]),
	column("Available", "integer", daemonSetStatusDoc["numberAvailable"]),
	column("Node Selector", "string", corev1.PodSpec{}.SwaggerDoc()["nodeSelector"]),
	ageColumn(),
	containersColumn(),
	imagesColumn(),
	wideColumn("Selector", "string", extensionsv1beta1.DaemonSetSpec{}.SwaggerDoc()["selector"]),
}

func printDaemonSet(ds *appsv1.DaemonSet, now time.Time) (metav1.TableRow, error) {
	names, images := containerCells(ds.Spec.Template.Spec.Containers)
	return newRow(ds,
		ds.Name,
		int64(ds.Status.DesiredNumberScheduled),
		int64(ds.Status.CurrentNumberScheduled),
		int64(ds.Status.NumberReady),
		int64(ds.Status.UpdatedNumberScheduled),
		int64(ds.Status.NumberAvailable),
		labels.FormatLabels(ds.Spec.Template.Spec.NodeSelector),
		age(ds.CreationTimestamp, now),
		names,
		images,
		metav1.FormatLabelSelector(ds.Spec.Selector),
	), nil
}

var controllerRevisionColumns = []metav1.TableColumnDefinition{
	nameColumn(),
	column("Controller", "string", "Controller of the object"),
	column("Revision", "string", appsv1beta1.ControllerRevision{}.SwaggerDoc()["revision"]),
	ageColumn(),
}

func printControllerRevision(rev *appsv1.ControllerRevision, now time.Time) (metav1.TableRow, error) {
	controller := none
	if ref := metav1.GetControllerOf(rev); ref != nil {
		gv, err := schema.ParseGroupVersion(ref.APIVersion)
		if err != nil {
			return metav1.TableRow{}, fmt.Errorf("controllerrevision %s/%s: owner apiVersion: %w", rev.Namespace, rev.Name, err)
		}
		controller = qualifiedName(gv.WithKind(ref.Kind).GroupKind(), ref.Name)
	}
	return newRow(rev, rev.Name, controller, rev.Revision, age(rev.CreationTimestamp, now)), nil
}

// qualifiedName is kubectl's "kind.group/name" (e.g. "statefulset.apps/web").
func qualifiedName(gk schema.GroupKind, name string) string {
	if gk.Empty() {
		return name
	}
	return strings.ToLower(gk.String()) + "/" + name
}

// desiredReplicas is spec.replicas; unset means the API default of 1
// (stored objects are always defaulted, so this only guards odd callers).
func desiredReplicas(r *int32) int64 {
	if r == nil {
		return 1
	}
	return int64(*r)
}
