package agent

import (
	"sync"
	"time"

	"github.com/minidev/mini/cluster/agent/image"
	"github.com/minidev/mini/cluster/agent/network"
	"github.com/minidev/mini/cluster/agent/runtime"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

// podState is what the agent knows of one pod beyond the API object:
// its sandbox and the runs of its containers. One reconcile at a time
// touches it (the loop never runs one key twice at once); probes and exit
// watchers only read through ctr's mutex and enqueue the pod.
type podState struct {
	uid       types.UID
	key       string
	sandbox   *network.Sandbox
	volumes   map[string]string // volume name → host path
	podDir    string
	hostFiles bool // /etc/hosts, resolv.conf, hostname written
	startTime time.Time
	init      []*ctr
	ctrs      []*ctr
	// killDeadline is when still-running containers of a terminating pod
	// get SIGKILL; zero before termination starts.
	killDeadline time.Time
	terminated   bool // sandbox released (pod finished or deleted)
	volumesAt    time.Time
	cgroupWarned bool
}

// ctr is one container of a pod across its runs.
type ctr struct {
	name string
	init bool

	mu       sync.Mutex
	run      *runtime.Container // current or last run
	runID    string
	img      *image.Image
	restarts int32
	attempt  int // run number: names the log file and the runtime ID
	waiting  *corev1.ContainerStateWaiting
	last     *corev1.ContainerStateTerminated // the previous run's end
	term     *corev1.ContainerStateTerminated // the current run's end (once it ended)
	window   time.Duration                    // crash back-off window
	// killing is why the current run is being stopped ("" if not).
	killing    string
	killedAt   time.Time
	ready      bool // readiness probe
	started    bool // startup probe passed (or none)
	probeStop  func()
	logPath    string
	logPrev    string
	startedAt  time.Time
	runDone    chan struct{} // closed when the current run ended and its log is closed
	lastEnvErr string
	env        []string // the current run's environment (exec and probes)
	// Image pull back-off.
	pullWindow time.Duration
	pullRetry  time.Time
	pullErr    string
	pullNever  bool
}

func (c *ctr) running() bool {
	return c.run != nil && c.term == nil
}
