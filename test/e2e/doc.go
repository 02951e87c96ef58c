// Package e2e drives the built ordinal binary with the real kubectl and client-go, the way
// a user does: `ordinal up` on a fresh data dir, then kubectl commands whose output and
// exit codes the tests check.
//
// Run it from the repository root:
//
//	go test ./test/e2e/
//
// TestMain builds ./cmd/ordinal once (or uses the binary named by ORDINAL_E2E_BINARY).
// kubectl must be on PATH; without it the kubectl tests skip, unless CI is set, in which
// case the run fails at once.
package e2e
