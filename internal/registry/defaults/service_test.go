package defaults

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestDefaultService(t *testing.T) {
	runDefaultingCases[corev1.Service](t, []defaultingCase{{
		name: "seed: mydb-read",
		input: `
apiVersion: v1
kind: Service
metadata:
  name: mydb-read
  labels:
    app: mydb
    app.kubernetes.io/name: mydb
spec:
  ports:
  - name: mysql
    port: 3306
  selector:
    app: mydb
    app.kubernetes.io/name: mysql
`,
		want: `
apiVersion: v1
kind: Service
metadata:
  name: mydb-read
  labels:
    app: mydb
    app.kubernetes.io/name: mydb
spec:
  internalTrafficPolicy: Cluster
  ports:
  - name: mysql
    port: 3306
    protocol: TCP
    targetPort: 3306
  selector:
    app: mydb
    app.kubernetes.io/name: mysql
  sessionAffinity: None
  type: ClusterIP
status:
  loadBalancer: {}
`,
	}, {
		name: "seed: headless service",
		input: `
metadata: {name: myapp-svc-headless}
spec:
  ports:
  - {name: http, port: 80}
  clusterIP: None
  selector: {app: myapp-sts}
`,
		want: `
metadata: {name: myapp-svc-headless}
spec:
  clusterIP: None
  internalTrafficPolicy: Cluster
  ports:
  - {name: http, port: 80, protocol: TCP, targetPort: 80}
  selector: {app: myapp-sts}
  sessionAffinity: None
  type: ClusterIP
status:
  loadBalancer: {}
`,
	}, {
		name: "user values are kept",
		input: `
metadata: {name: s}
spec:
  type: NodePort
  externalTrafficPolicy: Local
  internalTrafficPolicy: Local
  ports:
  - {port: 53, protocol: UDP, targetPort: dns}
  sessionAffinity: ClientIP
  sessionAffinityConfig:
    clientIP: {timeoutSeconds: 60}
`,
		want: `
metadata: {name: s}
spec:
  type: NodePort
  externalTrafficPolicy: Local
  internalTrafficPolicy: Local
  ports:
  - {port: 53, protocol: UDP, targetPort: dns}
  sessionAffinity: ClientIP
  sessionAffinityConfig:
    clientIP: {timeoutSeconds: 60}
status:
  loadBalancer: {}
`,
	}, {
		name: "node port services get an external traffic policy",
		input: `
metadata: {name: s}
spec:
  type: NodePort
  ports:
  - {port: 80, targetPort: 0}
`,
		want: `
metadata: {name: s}
spec:
  type: NodePort
  externalTrafficPolicy: Cluster
  internalTrafficPolicy: Cluster
  ports:
  - {port: 80, protocol: TCP, targetPort: 80}
  sessionAffinity: None
status:
  loadBalancer: {}
`,
	}, {
		name: "cluster IP services with external IPs are externally accessible",
		input: `
metadata: {name: s}
spec:
  externalIPs: [192.0.2.10]
  ports:
  - {port: 80, targetPort: ""}
`,
		want: `
metadata: {name: s}
spec:
  externalIPs: [192.0.2.10]
  externalTrafficPolicy: Cluster
  internalTrafficPolicy: Cluster
  ports:
  - {port: 80, protocol: TCP, targetPort: 80}
  sessionAffinity: None
  type: ClusterIP
status:
  loadBalancer: {}
`,
	}, {
		name: "load balancers allocate node ports and report VIP addresses",
		input: `
metadata: {name: s}
spec:
  type: LoadBalancer
  ports:
  - {port: 443}
status:
  loadBalancer:
    ingress:
    - ip: 192.0.2.1
    - ip: 192.0.2.2
      ipMode: Proxy
    - hostname: lb.example.com
`,
		want: `
metadata: {name: s}
spec:
  type: LoadBalancer
  allocateLoadBalancerNodePorts: true
  externalTrafficPolicy: Cluster
  internalTrafficPolicy: Cluster
  ports:
  - {port: 443, protocol: TCP, targetPort: 443}
  sessionAffinity: None
status:
  loadBalancer:
    ingress:
    - {ip: 192.0.2.1, ipMode: VIP}
    - {ip: 192.0.2.2, ipMode: Proxy}
    - hostname: lb.example.com
`,
	}, {
		name: "external name services have no traffic policies",
		input: `
metadata: {name: s}
spec:
  type: ExternalName
  externalName: db.example.com
`,
		want: `
metadata: {name: s}
spec:
  type: ExternalName
  externalName: db.example.com
  sessionAffinity: None
status:
  loadBalancer: {}
`,
	}, {
		name: "client IP affinity gets a three hour timeout",
		input: `
metadata: {name: s}
spec:
  sessionAffinity: ClientIP
  sessionAffinityConfig: {clientIP: {}}
`,
		want: `
metadata: {name: s}
spec:
  internalTrafficPolicy: Cluster
  sessionAffinity: ClientIP
  sessionAffinityConfig:
    clientIP: {timeoutSeconds: 10800}
  type: ClusterIP
status:
  loadBalancer: {}
`,
	}, {
		name: "an affinity config without affinity is dropped",
		input: `
metadata: {name: s}
spec:
  sessionAffinityConfig:
    clientIP: {timeoutSeconds: 60}
`,
		want: `
metadata: {name: s}
spec:
  internalTrafficPolicy: Cluster
  sessionAffinity: None
  type: ClusterIP
status:
  loadBalancer: {}
`,
	}})
}

func TestDefaultEndpoints(t *testing.T) {
	assertDefaulted[corev1.Endpoints](t, `
metadata: {name: web}
subsets:
- addresses: [{ip: 10.42.0.5}]
  ports:
  - {name: http, port: 80}
  - {name: dns, port: 53, protocol: UDP}
`, `
metadata: {name: web}
subsets:
- addresses: [{ip: 10.42.0.5}]
  ports:
  - {name: http, port: 80, protocol: TCP}
  - {name: dns, port: 53, protocol: UDP}
`)
}
