// Package garbagecollector deletes objects whose owners are gone, as
// Kubernetes' garbage collector does with ownerReferences:
//
//   - background: an object all of whose owners are gone is deleted;
//   - foreground: an owner carrying the foregroundDeletion finalizer has
//     its dependents deleted first, then the finalizer removed;
//   - orphan: an owner carrying the orphan finalizer has its reference
//     removed from every dependent, then the finalizer removed.
//
// It watches every listable resource through metadata informers (only
// ObjectMeta travels), keeps an index of dependents by owner UID, and
// checks an owner's absence with a live GET before deleting anything, so a
// cache that lags never causes a deletion.
package garbagecollector
