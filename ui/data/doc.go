// Package data watches a cluster through client-go informers and turns each
// object into a plain value (Pod, Node, Workload, Service, Event) the
// dashboard can render without touching API types. Changes are coalesced
// per key and handed out as one Batch per wake-up by Source.Next, a tea.Cmd
// that the model re-arms after every batch. Nothing here reads model state.
package data
