// Package endpoints keeps the legacy v1 Endpoints object of every Service with a selector,
// as upstream's endpoints controller does (Kubernetes 1.32): one Endpoints named after the
// Service, whose subsets list the ready pods under addresses and the others under
// notReadyAddresses, grouped by resolved ports.
//
// One sync reads the Service and its pods from the informer caches, builds the wanted
// object with [planEndpoints] (a pure function) and creates or updates it when it differs.
// Endpoints of Services without a selector belong to the user and are left alone (the
// EndpointSlice mirroring controller publishes them as slices); as upstream, an Endpoints
// object is deleted with its Service, and Endpoints left without a Service are deleted
// when the controller starts.
package endpoints
