// Package endpointslice keeps the EndpointSlices of Services, as upstream's EndpointSlice
// controller and EndpointSlice mirroring controller do (Kubernetes 1.32).
//
// The EndpointSlice controller ([Controller]) gives every Service that has a selector one or
// more slices (at most [MaxEndpointsPerSlice] endpoints each, one group of slices per
// distinct set of resolved ports), named `<service>-<random>` and labelled
// kubernetes.io/service-name and endpointslice.kubernetes.io/managed-by. One sync reads the
// Service, its pods and its slices from the informer caches, asks [planSlices] (a pure
// function) what to create, update and delete, and writes that. Slices are updated in place
// rather than recreated, so watchers (DNS, the proxy) see small changes.
//
// The mirroring controller ([MirroringController]) copies hand-made v1 Endpoints of
// Services without a selector into slices managed by
// endpointslicemirroring-controller.k8s.io, as upstream, so that consumers of slices see
// them too.
//
// Words, as upstream: an endpoint is "serving" when its pod is Ready, "terminating" when the
// pod has a deletionTimestamp, and "ready" when it is serving and not terminating (always,
// with publishNotReadyAddresses). A "placeholder" is the empty slice a Service with no
// endpoints keeps, so that an empty Service is told apart from one not yet processed.
package endpointslice
