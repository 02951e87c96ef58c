//go:build !linux

package agent

import "k8s.io/apimachinery/pkg/api/resource"

func diskSize(string) resource.Quantity { return resource.Quantity{} }
