// Package e2e holds end-to-end tests: they run the real mini binary against
// the real Docker engine and check clusters through the Kubernetes API.
// They are skipped under -short. MINI_BINARY names the binary (make e2e
// builds it); without it the tests build one.
package e2e
