// Package pki holds a cluster's credentials: its certificate authority, the
// API server's serving certificate and the bearer tokens of users and nodes.
//
// Certificates use ECDSA P-256 and only the standard library. The CA lives for
// ten years in $MINI_HOME/clusters/<name>/ (ca.crt, ca.key); the serving
// certificate lives for one year and is cheap to make, so the control plane
// should issue a fresh one with the current addresses every time it starts:
// Docker may hand the cluster network a new gateway after a daemon restart
// (kind#1689), and a certificate cached with the old IP would then fail.
//
// Tokens are random 256-bit strings kept in tokens.yaml (mode 0600) together
// with the identity they stand for; Tokens.Lookup compares in constant time.
// Every file is written atomically (temporary file in the same directory,
// then rename), so a crash never leaves half a key behind.
package pki
