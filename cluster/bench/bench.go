package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/minidev/mini/nodeimage"
)

// Config says what to run. Zero values take the defaults of the issues'
// goals.
type Config struct {
	Mini    string    // the mini binary under test (required)
	Out     io.Writer // progress lines
	Repeats int       // timed ups per node count; default 3
	Objects int       // ConfigMaps for the throughput test; default 2000
	Workers int       // concurrent API clients and store writers; default 16
	Scale   int       // ConfigMaps in the cluster for the memory test; default 10000
	Idle    time.Duration
	// SimNodes, SimPods and SimReplicas size the scheduling test; defaults
	// 1000, 10000 and 1000 (issue 5's goals).
	SimNodes, SimPods, SimReplicas int
	Watch                          WatchOptions
	TempRoot                       string // where MINI_HOME, KUBECONFIG and the raw store go; default os.TempDir()
}

func (c Config) withDefaults() Config {
	if c.Out == nil {
		c.Out = io.Discard
	}
	if c.Repeats <= 0 {
		c.Repeats = 3
	}
	if c.Objects <= 0 {
		c.Objects = 2000
	}
	if c.Workers <= 0 {
		c.Workers = 16
	}
	if c.Scale <= 0 {
		c.Scale = 10000
	}
	if c.SimNodes <= 0 {
		c.SimNodes = scaleNodes
	}
	if c.SimPods <= 0 {
		c.SimPods = scalePods
	}
	if c.SimReplicas <= 0 {
		c.SimReplicas = scaleDeployment
	}
	if c.Idle <= 0 {
		c.Idle = 10 * time.Second
	}
	if c.Watch.Watchers <= 0 {
		c.Watch.Watchers = 100
	}
	if c.Watch.Events <= 0 {
		c.Watch.Events = 200
	}
	if c.Watch.Interval <= 0 {
		c.Watch.Interval = 10 * time.Millisecond
	}
	if c.Watch.Goal <= 0 {
		c.Watch.Goal = 50 * time.Millisecond
	}
	return c
}

// bench is one run's state.
type bench struct {
	cfg    Config
	out    io.Writer
	prefix string // of every cluster and Docker object the run makes
	tmp    string // MINI_HOME, KUBECONFIG, the binary and the raw store
	image  string // the node image of the binary
	mini   *miniEnv
	floor  *floor // nil until made
	report *Report
}

// Run measures, always removes what it created (also when ctx is
// cancelled), and returns the report, partial when err is not nil.
func Run(ctx context.Context, cfg Config) (r *Report, err error) {
	cfg = cfg.withDefaults()
	r = &Report{Started: time.Now().UTC(), Environment: map[string]string{
		"go": runtime.Version(), "platform": runtime.GOOS + "/" + runtime.GOARCH,
		"cpus": fmt.Sprint(runtime.NumCPU()), "mini": cfg.Mini,
	}}
	defer func() {
		r.Seconds = time.Since(r.Started).Seconds()
		if err != nil {
			r.Error = err.Error()
		}
	}()
	bin, err := filepath.Abs(cfg.Mini)
	if err != nil {
		return r, err
	}
	if _, err := os.Stat(bin); err != nil {
		return r, fmt.Errorf("the mini binary: %w (run `make build`)", err)
	}
	version, err := docker(ctx, "version", "--format", "{{.Server.Version}}")
	if err != nil {
		return r, fmt.Errorf("the Docker engine: %w", err)
	}
	r.Environment["docker"] = version
	r.Environment["loadStart"] = loadAverage()
	defer func() { r.Environment["loadEnd"] = loadAverage() }()
	tmp, err := os.MkdirTemp(cfg.TempRoot, "minibench-")
	if err != nil {
		return r, err
	}
	prefix := "bench-" + randomHex(3)
	b := &bench{
		cfg: cfg, out: cfg.Out, prefix: prefix, tmp: tmp, report: r,
		mini: &miniEnv{binary: filepath.Join(tmp, "mini"), home: filepath.Join(tmp, "home"), kubeconfig: filepath.Join(tmp, "kubeconfig")},
	}
	removeImage := false
	defer func() {
		err = errors.Join(err, b.cleanup(context.WithoutCancel(ctx), removeImage))
	}()
	// A private copy: a rebuild of bin/mini during the run must not change
	// what is measured, nor the node image.
	if err := copyFile(bin, b.mini.binary); err != nil {
		return r, err
	}
	if b.image, err = nodeimage.Ref(b.mini.binary); err != nil {
		return r, err
	}
	r.Environment["nodeImage"] = b.image
	_, inspectErr := docker(ctx, "image", "inspect", "--format", "{{.Id}}", b.image)
	removeImage = inspectErr != nil
	if b.floor, err = newFloor(b.image, prefix+"-floor"); err != nil {
		return r, err
	}
	return r, b.run(ctx)
}

// step runs fn between a start line and a ✓ or ✗ line with its duration.
func (b *bench) step(name string, fn func() error) error {
	fmt.Fprintf(b.out, "• %s ...\n", name)
	begin := time.Now()
	err := fn()
	mark := "✓"
	if err != nil {
		mark = "✗"
	}
	fmt.Fprintf(b.out, "%s %s (%s)\n", mark, name, time.Since(begin).Round(10*time.Millisecond))
	return err
}

// progress prints an indented detail line.
func (b *bench) progress(format string, args ...any) {
	fmt.Fprintf(b.out, "   "+format+"\n", args...)
}

// copyFile copies an executable.
func copyFile(from, to string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, b, 0o755)
}

// loadAverage is the 1, 5 and 15 minute load of the host, where known: other
// work on the machine shows in every number here.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func randomHex(n int) string {
	p := make([]byte, n)
	_, _ = rand.Read(p)
	return hex.EncodeToString(p)
}
