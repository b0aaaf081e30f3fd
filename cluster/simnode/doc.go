// Package simnode simulates nodes inside the control plane, as kwok does:
// Node objects labelled mini.dev/node=simulated whose Leases are renewed,
// and whose pods go Running and Ready with fake IPs and no processes. With
// them the scheduler, the controllers and the dashboard can be exercised at
// the scale of hundreds of nodes on a laptop, next to real nodes of the
// same cluster. Nothing about a simulated pod is real but its API objects:
// it runs no image and answers no traffic.
package simnode
