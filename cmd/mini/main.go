// Command mini is a local Kubernetes-compatible cluster on Docker: the CLI,
// the control plane (mini controlplane) and the node agent (mini agent).
package main

import (
	"os"

	"github.com/minidev/mini/cluster/agent/runtime"
	"github.com/minidev/mini/cmd/mini/app"
)

func main() {
	if runtime.Main() { // a container runtime child phase: never returns
		return
	}
	os.Exit(app.Main(os.Args[1:], os.Stdout, os.Stderr))
}
