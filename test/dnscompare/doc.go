// Package dnscompare checks ordinal's cluster DNS server against CoreDNS's kubernetes
// plugin (issue 5): it starts `ordinal up --runtime=sim`, starts a minimal CoreDNS in the
// test process pointed at the same apiserver with the admin kubeconfig, creates Services,
// pods, a StatefulSet and hand-made EndpointSlices, asks both servers the same questions
// over UDP and TCP and reports every difference that the allow-list (allow_test.go) does
// not explain.
//
// It is a module of its own so that CoreDNS's dependencies never enter ordinal's go.mod;
// run it with `cd test/dnscompare && go test -count=1 ./...`. The ordinal binary is built
// from the enclosing module, or taken from $ORDINAL_BINARY.
package dnscompare
