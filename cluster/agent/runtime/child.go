package runtime

import (
	"encoding/json"
	"fmt"

	"golang.org/x/sys/unix"
)

// childSpec is what the agent sends a child phase. The rootfs fields are
// for phaseInit only.
type childSpec struct {
	Rootfs         string  `json:"rootfs,omitempty"`     // the overlay's mount point
	OverlayDir     string  `json:"overlayDir,omitempty"` // dir the overlay options are relative to
	Overlay        string  `json:"overlay,omitempty"`    // overlay mount data
	Hostname       string  `json:"hostname,omitempty"`
	NetNS          string  `json:"netns,omitempty"`
	Mounts         []Mount `json:"mounts,omitempty"`
	ReadOnlyRootfs bool    `json:"readOnlyRootfs,omitempty"`

	Args    []string `json:"args"`
	Env     []string `json:"env"`
	Cwd     string   `json:"cwd"`
	User    User     `json:"user"`
	Caps    uint64   `json:"caps"`
	LastCap int      `json:"lastCap"`
	TTY     bool     `json:"tty,omitempty"`
}

// fdReader reads a raw fd without an *os.File, whose finalizer would close it.
type fdReader int

func (r fdReader) Read(p []byte) (int, error) {
	for {
		n, err := unix.Read(int(r), p)
		if err == unix.EINTR {
			continue
		}
		if n < 0 {
			n = 0
		}
		return n, err
	}
}

// readSpec reads the childSpec from the sync socket and keeps the socket
// (for errors and the pty) from reaching the workload.
func readSpec() (*childSpec, error) {
	var sp childSpec
	if err := json.NewDecoder(fdReader(syncFD)).Decode(&sp); err != nil {
		return nil, fmt.Errorf("read spec from the agent: %w", err)
	}
	unix.CloseOnExec(syncFD)
	if len(sp.Args) == 0 {
		return nil, fmt.Errorf("no command to run")
	}
	return &sp, nil
}

// containerInit is phaseInit: in the new mount, pid, uts and ipc
// namespaces, join the pod's network namespace, build the root filesystem,
// set the hostname and exec the workload.
func containerInit(sp *childSpec) error {
	fd, err := unix.Open(sp.NetNS, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open network namespace %s: %w", sp.NetNS, err)
	}
	err = unix.Setns(fd, unix.CLONE_NEWNET)
	unix.Close(fd)
	if err != nil {
		return fmt.Errorf("join network namespace %s: %w", sp.NetNS, err)
	}
	if err := setupRootfs(sp); err != nil {
		return err
	}
	if err := unix.Sethostname([]byte(sp.Hostname)); err != nil {
		return fmt.Errorf("set hostname %q: %w", sp.Hostname, err)
	}
	return startProcess(sp)
}
