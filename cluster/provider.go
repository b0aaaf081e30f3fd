package cluster

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/minidev/mini/cluster/docker"
)

// Provider runs lifecycle operations against one Docker engine and one
// MINI_HOME.
type Provider struct {
	Home    string
	Binary  string // the mini executable: node image content and control plane program
	Docker  *docker.Client
	Out     io.Writer // progress lines for people
	Log     *slog.Logger
	Verbose bool
}

// step runs one named step and prints it with its duration: ✓ or ✗.
func (p *Provider) step(ctx context.Context, name string, fn func(ctx context.Context) (detail string, err error)) error {
	start := time.Now()
	detail, err := fn(ctx)
	d := time.Since(start).Round(time.Millisecond)
	mark := "✓"
	if err != nil {
		mark = "✗"
	}
	if detail != "" {
		detail = " " + detail
	}
	fmt.Fprintf(p.Out, " %s %s%s (%s)\n", mark, name, detail, d)
	return err
}

func (p *Provider) labels(cluster string) map[string]string {
	return map[string]string{docker.LabelCluster: cluster}
}
