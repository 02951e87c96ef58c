package printers

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ConfigMap, Secret and ServiceAccount: the configuration a pod mounts or runs as.

var configMapColumns = []metav1.TableColumnDefinition{
	nameColumn(),
	column("Data", "string", corev1.ConfigMap{}.SwaggerDoc()["data"]),
	ageColumn(),
}

func printConfigMap(cm *corev1.ConfigMap, now time.Time) (metav1.TableRow, error) {
	return newRow(cm, cm.Name, int64(len(cm.Data)+len(cm.BinaryData)), age(cm.CreationTimestamp, now)), nil
}

var secretColumns = []metav1.TableColumnDefinition{
	nameColumn(),
	column("Type", "string", corev1.Secret{}.SwaggerDoc()["type"]),
	column("Data", "string", corev1.Secret{}.SwaggerDoc()["data"]),
	ageColumn(),
}

func printSecret(s *corev1.Secret, now time.Time) (metav1.TableRow, error) {
	return newRow(s, s.Name, string(s.Type), int64(secretKeyCount(s)), age(s.CreationTimestamp, now)), nil
}

// secretKeyCount counts data keys. Upstream counts its internal form, into
// which stringData has been merged; a stored secret has no stringData left,
// but one that still has it is counted the same way.
func secretKeyCount(s *corev1.Secret) int {
	n := len(s.Data)
	for k := range s.StringData {
		if _, dup := s.Data[k]; !dup {
			n++
		}
	}
	return n
}

var serviceAccountColumns = []metav1.TableColumnDefinition{
	nameColumn(),
	column("Secrets", "string", corev1.ServiceAccount{}.SwaggerDoc()["secrets"]),
	ageColumn(),
}

func printServiceAccount(sa *corev1.ServiceAccount, now time.Time) (metav1.TableRow, error) {
	return newRow(sa, sa.Name, int64(len(sa.Secrets)), age(sa.CreationTimestamp, now)), nil
}
