package printers

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

var endpointsColumns = []metav1.TableColumnDefinition{
	nameColumn(),
	column("Endpoints", "string", corev1.Endpoints{}.SwaggerDoc()["subsets"]),
	ageColumn(),
}

func printEndpoints(ep *corev1.Endpoints, now time.Time) (metav1.TableRow, error) {
	return newRow(ep, ep.Name, endpointsCell(ep), age(ep.CreationTimestamp, now)), nil
}

// endpointsCell lists the first three ready addresses as ip:port, one per
// address and port ("10.42.0.5:80,10.42.0.6:80 + 4 more..."), bare IPs for
// subsets without ports (headless services), or "<none>".
func endpointsCell(ep *corev1.Endpoints) string {
	if len(ep.Subsets) == 0 {
		return none
	}
	const max = 3
	var shown []string
	total := 0
	for _, ss := range ep.Subsets {
		if len(ss.Ports) == 0 {
			total += len(ss.Addresses)
			for _, a := range ss.Addresses {
				if len(shown) < max {
					shown = append(shown, a.IP)
				}
			}
			continue
		}
		for _, p := range ss.Ports {
			total += len(ss.Addresses)
			for _, a := range ss.Addresses {
				if len(shown) < max {
					shown = append(shown, net.JoinHostPort(a.IP, strconv.Itoa(int(p.Port))))
				}
			}
		}
	}
	out := strings.Join(shown, ",")
	if total > max {
		return fmt.Sprintf("%s + %d more...", out, total-max)
	}
	return out
}
