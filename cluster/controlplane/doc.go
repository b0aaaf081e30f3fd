// Package controlplane runs mini's control plane process: it opens the
// store, serves the Kubernetes API over HTTPS on 127.0.0.1 and the cluster
// network's gateway, creates the namespaces every cluster has, and runs the
// controllers as API clients of that server.
package controlplane
