package kubeletapi_test

import "crypto/tls"

// insecureTLS skips verifying the agent's self-signed certificate, as the
// API server does.
func insecureTLS() *tls.Config { return &tls.Config{InsecureSkipVerify: true} } //nolint:gosec // self-signed by design
