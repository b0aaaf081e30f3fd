// Command minibench measures mini against baselines taken in the same run
// (make bench): see package cluster/bench.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/minidev/mini/cluster/bench"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := bench.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
