package bench

import (
	"context"
	"flag"
	"fmt"
	"io"
)

// Main is minibench: it parses args, runs the benchmark, prints the report
// and writes it as JSON. It returns the exit code: 0 when every measurement
// was taken (goals may still be missed; the report says so), 1 on error, 2
// on bad flags.
func Main(ctx context.Context, args []string, out, errOut io.Writer) int {
	fs := flag.NewFlagSet("minibench", flag.ContinueOnError)
	fs.SetOutput(errOut)
	var cfg Config
	fs.StringVar(&cfg.Mini, "mini", "bin/mini", "the mini binary to measure")
	jsonPath := fs.String("out", "bench-results.json", "where to write the results as JSON (\"\" for nowhere)")
	fs.IntVar(&cfg.Repeats, "repeats", 3, "timed `mini up` runs per node count")
	fs.IntVar(&cfg.Objects, "objects", 2000, "ConfigMaps created and updated for the throughput test")
	fs.IntVar(&cfg.Scale, "scale", 10000, "ConfigMaps in the cluster for the memory test")
	fs.IntVar(&cfg.SimNodes, "sim-nodes", scaleNodes, "simulated nodes for the scheduling test")
	fs.IntVar(&cfg.SimPods, "sim-pods", scalePods, "pods created on them")
	fs.IntVar(&cfg.SimReplicas, "sim-replicas", scaleDeployment, "replicas of the Deployment scaled up on them")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg.Out = out
	r, err := Run(ctx, cfg)
	fmt.Fprintln(out)
	if len(r.Metrics) > 0 {
		if werr := r.WriteTable(out); werr != nil && err == nil {
			err = werr
		}
	}
	fmt.Fprintf(out, "\n%d metrics in %.0f s on %s CPUs, Docker %s.\n", len(r.Metrics), r.Seconds, r.Environment["cpus"], r.Environment["docker"])
	if *jsonPath != "" {
		if werr := r.WriteJSON(*jsonPath); werr != nil && err == nil {
			err = werr
		} else if werr == nil {
			fmt.Fprintf(out, "Results in %s.\n", *jsonPath)
		}
	}
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("interrupted (what the run created is removed; the report above is partial): %w", err)
		}
		fmt.Fprintf(errOut, "minibench: %v\n", err)
		return 1
	}
	return 0
}
