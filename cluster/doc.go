// Package cluster is mini's cluster lifecycle: up, down, start, stop, list
// and status of clusters whose nodes are Docker containers and whose control
// plane is a detached host process. State lives in $MINI_HOME/clusters/<name>.
//
// Up is an ordered list of steps, each printed with its time; on failure
// everything the run created is removed, and only that.
package cluster
