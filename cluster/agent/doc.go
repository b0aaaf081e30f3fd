// Package agent is mini's node agent, PID 1 of every node container: it
// registers its Node with the control plane through the Kubernetes API,
// keeps the node's Lease in kube-node-lease renewed (the heartbeat) and
// reports the node Ready. It reaches the control plane only through the
// API, at the cluster network's gateway, and reconnects by itself when the
// control plane or its own container restarts.
package agent
