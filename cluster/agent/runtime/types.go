package runtime

import (
	"io"
	"syscall"
	"time"
)

// Mount is a filesystem mounted into a container, after the defaults
// (/proc, /dev, /sys), so it may cover them.
type Mount struct {
	Source, Destination string
	Type                string   // "bind" (default) or "tmpfs"
	ReadOnly            bool     // read-only mount
	Options             []string // extra: flags (nosuid, nodev, noexec, ro) and data, e.g. tmpfs "size=64m"
}

// User is the identity a container's process runs as.
type User struct {
	UID, GID       uint32
	AdditionalGIDs []uint32
}

// Resources are a container's cgroup limits; a zero field means none.
type Resources struct {
	MemoryLimit    int64 // bytes
	CPULimitMilli  int64 // CFS quota
	CPUSharesMilli int64 // from requests: cpu.shares (v1) / cpu.weight (v2)
	PidsLimit      int64
}

// Spec describes one run of a container.
type Spec struct {
	ID             string   // unique per container run; also the dir name under StateDir
	Group          string   // cgroup group (the pod UID): cgroups at <node>/<CgroupParent>/<Group>/<ID>
	Layers         []string // image layer dirs, lowest first
	Hostname       string
	NetNS          string   // path of the pod's network namespace file; required
	Args           []string // Args[0] is looked up in the PATH of Env inside the rootfs unless it has a '/'
	Env            []string
	Cwd            string // created if missing; "" = "/"
	User           User
	Mounts         []Mount
	ReadOnlyRootfs bool
	CapAdd         []string // Kubernetes capability names ("NET_ADMIN", "ALL")
	CapDrop        []string
	Resources      Resources
	TTY            bool      // run on a pty allocated in the container; its output goes to Stdout
	Stdin          io.Reader // nil = /dev/null
	Stdout         io.Writer // nil = /dev/null
	Stderr         io.Writer // nil = /dev/null
}

// ExitStatus is how a container's process ended.
type ExitStatus struct {
	Code       int            // exit code, or 128+signal when killed by a signal
	Signal     syscall.Signal // 0 if it exited
	OOMKilled  bool           // its memory cgroup saw an OOM kill
	StartedAt  time.Time
	FinishedAt time.Time
}

// Size is a terminal's size in characters.
type Size struct{ Width, Height uint16 }

// ExecSpec describes a process run inside a running container.
type ExecSpec struct {
	Args   []string
	Env    []string // nil = the container's Env
	Cwd    string   // "" = the container's Cwd
	User   User
	TTY    bool
	Stdin  io.Reader // nil = /dev/null
	Stdout io.Writer // nil = /dev/null
	Stderr io.Writer // nil = /dev/null (unused with TTY)
	Resize <-chan Size
}
