// Spike: a minimal pure-Go (CGO_ENABLED=0) pod runtime for mini's node agent.
//
//	spike sandbox NAME CIDR-IP GW      netns at /run/spike/netns/NAME + veth on bridge mini0
//	spike run [flags] -- CMD...        container: overlay, pivot_root, own mnt/pid/uts/ipc ns, joins netns
//	spike route CIDR VIA               route to another node's podCIDR
//	spike init                         (hidden) the re-exec'd child phase
package main

import (
	"fmt"
	"os"
	"runtime"

	"github.com/spf13/cobra"
)

func init() {
	// The child phase must run on one locked OS thread: setns(CLONE_NEWNET)
	// is per-thread and execve must come from the thread that joined.
	if len(os.Args) > 1 && os.Args[1] == "init" {
		runtime.LockOSThread()
	}
}

func main() {
	root := &cobra.Command{Use: "spike", SilenceUsage: true}
	root.AddCommand(&cobra.Command{Use: "init", Hidden: true, RunE: func(*cobra.Command, []string) error {
		err := childInit()
		// Only reached on failure: childInit ends in execve.
		fmt.Fprintln(os.Stderr, "spike init:", err)
		os.Exit(127)
		return nil
	}})
	root.AddCommand(execCmd(), execInitCmd(), sandboxCmd(), runCmd(), routeCmd(), cgroupCmd(), unpackCmd())
	if err := root.Execute(); err != nil {
		os.Exit(1)
	}
}
