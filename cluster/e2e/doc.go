// Package e2e holds end-to-end tests: they run the real mini binary against
// the real Docker engine and check clusters through the Kubernetes API.
// They are skipped under -short. MINI_BINARY names the binary (make e2e
// builds it); without it the tests build one. TestKubectl needs no Docker:
// it drives in-process API servers with a real kubectl, built on first use
// from testdata/kubectl (a module of its own pinning k8s.io/kubectl).
package e2e
