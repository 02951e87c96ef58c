package printers

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// objectMetaDoc holds the API docs of metadata fields; upstream describes the
// Name and Age columns with them.
var objectMetaDoc = metav1.ObjectMeta{}.SwaggerDoc()

// nameColumn is the column kubectl treats as the object's name (format "name").
func nameColumn() metav1.TableColumnDefinition {
	return metav1.TableColumnDefinition{Name: "Name", Type: "string", Format: "name", Description: objectMetaDoc["name"]}
}

// ageColumn is upstream's Age: a string such as "5m", not a date.
func ageColumn() metav1.TableColumnDefinition {
	return column("Age", "string", objectMetaDoc["creationTimestamp"])
}

// column is a column kubectl always shows.
func column(name, typ, description string) metav1.TableColumnDefinition {
	return metav1.TableColumnDefinition{Name: name, Type: typ, Description: description}
}

// wideColumn is a column kubectl shows only with -o wide.
func wideColumn(name, typ, description string) metav1.TableColumnDefinition {
	return metav1.TableColumnDefinition{Name: name, Type: typ, Description: description, Priority: 1}
}

// Workload kinds end with the same wide columns about their pod template.
func containersColumn() metav1.TableColumnDefinition {
	return wideColumn("Containers", "string", "Names of each container in the template.")
}

func imagesColumn() metav1.TableColumnDefinition {
	return wideColumn("Images", "string", "Images referenced by each container in the template.")
}
