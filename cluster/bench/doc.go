// Package bench measures mini against baselines taken in the same run: the
// time of `mini up` against plain `docker network create` + `docker run -d`
// of as many containers of the node image, the API's write throughput
// against the store's raw durable write rate, watch delivery latency, and
// the memory of the control plane and of a node agent. cmd/minibench (make
// bench) runs it and prints a report; everything it creates is removed
// again, also when it fails or is interrupted.
package bench
