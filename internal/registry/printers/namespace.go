package printers

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

var namespaceColumns = []metav1.TableColumnDefinition{
	nameColumn(),
	column("Status", "string", "The status of the namespace"),
	ageColumn(),
}

func printNamespace(ns *corev1.Namespace, now time.Time) (metav1.TableRow, error) {
	return newRow(ns, ns.Name, string(ns.Status.Phase), age(ns.CreationTimestamp, now)), nil
}
