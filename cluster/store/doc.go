// Package store holds the control plane's cluster state: a durable key/value
// store over bbolt with one global revision counter, like etcd's. The API
// server uses the revision as every object's resourceVersion. The store knows
// nothing of HTTP or Kubernetes: keys are paths such as
// "/core/pods/default/web-1" and values are opaque bytes.
//
// On disk there are two buckets. "kv" maps each key to an 8-byte big-endian
// revision (the revision of the key's last change) followed by the value.
// "meta" holds "rev", the store's current revision, written in the same
// transaction as every change, so revisions only go forward across restarts.
//
// Writes go through one writer goroutine that takes every queued request,
// applies them in one bbolt transaction and commits once (group commit: many
// concurrent writers share one fsync). A write returns only after its transaction committed (data and meta pages
// fsynced), so a crash loses nothing acknowledged. bbolt's freelist is not
// written with each commit (as in etcd): bbolt rebuilds it at open. Each
// successful write gets its own revision, and the writer publishes the
// resulting events to the watch history and the watchers in revision order,
// with no gaps, before it answers the writers.
//
// Watches are served from an in-memory ring of the last Options.History
// events. A watch from a revision whose successors are no longer all in the
// ring (or predate this process) fails with ErrExpired; the client relists.
// A watcher that falls Options.WatchBuffer events behind has its channel
// closed rather than slowing writers down; it re-watches from the last
// revision it saw.
package store
