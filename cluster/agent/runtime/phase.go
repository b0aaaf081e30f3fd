package runtime

import (
	"fmt"
	"os"
	goruntime "runtime"

	"golang.org/x/sys/unix"
)

// The child phases: argv[1] of the agent re-executed as /proc/self/exe.
const (
	phaseInit = "__mini-init" // a container's first process: namespaces, rootfs, then execve
	phaseExec = "__mini-exec" // a process exec'd into a running container
)

// The sync socket between the agent and a child phase, fd 3 in the child.
// The agent sends the childSpec as JSON; the child answers with msgPTY
// (carrying a pty master fd), msgExec right before its execve, and
// msgError (then the error text) when it fails. EOF after msgExec and
// without msgError means the execve of the workload succeeded.
const (
	syncFD   = 3
	msgPTY   = 'p'
	msgExec  = 'x'
	msgError = 'e'
)

func init() {
	// A child phase must run on one OS thread: setns(CLONE_NEWNET),
	// capabilities and no_new_privs are per thread, and execve must come
	// from the thread that set them.
	if isChildPhase(os.Args) {
		goruntime.LockOSThread()
	}
}

func isChildPhase(args []string) bool {
	return len(args) > 1 && (args[1] == phaseInit || args[1] == phaseExec)
}

// Main runs a child phase when os.Args names one, and then never returns
// (it ends in the workload's execve or in os.Exit). It returns false when
// os.Args is not a child phase. cmd/mini calls it first thing in main().
func Main() bool {
	if !isChildPhase(os.Args) {
		return false
	}
	err := runPhase(os.Args[1])
	// Only reached on failure: the phases end in execve.
	msg := append([]byte{msgError}, err.Error()...)
	_, _ = unix.Write(syncFD, msg)
	os.Exit(127)
	return true
}

func runPhase(phase string) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%s: panic: %v", phase, p)
		}
	}()
	// Nothing of the container may read this process' memory or open its
	// executable (/proc/PID/exe, CVE-2019-5736) before the execve.
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		return fmt.Errorf("set non-dumpable: %w", err)
	}
	sp, err := readSpec()
	if err != nil {
		return err
	}
	if phase == phaseInit {
		return containerInit(sp)
	}
	return startProcess(sp)
}
