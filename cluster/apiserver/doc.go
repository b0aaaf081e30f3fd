// Package apiserver serves the Kubernetes REST API over a cluster/store.Store.
//
// It is generic: every resource is a row of the registry (registry.go) that
// names its group, version, kind, scope and the hooks that give it
// Kubernetes' semantics (defaulting, validation, field selectors, table
// columns). The handlers (get, list, watch, create, update, patch, delete,
// subresources) are written once for all of them. The store knows nothing of
// HTTP; this package knows nothing of bbolt beyond the store's methods.
package apiserver
