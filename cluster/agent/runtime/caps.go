package runtime

import (
	"fmt"
	"strings"
)

// capNames are the kernel's capability names, indexed by number (0..40).
var capNames = [...]string{
	"CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID",
	"SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW",
	"IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT",
	"SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD",
	"LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG",
	"WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE",
}

// defaultCaps is Docker's default capability set (moby oci/caps/defaults.go).
var defaultCaps = []string{
	"CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW", "SETGID", "SETUID",
	"SETFCAP", "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL", "AUDIT_WRITE",
}

// capNumber maps "NET_ADMIN", "CAP_NET_ADMIN" or "net_admin" to its number.
func capNumber(name string) (int, error) {
	n := strings.TrimPrefix(strings.ToUpper(name), "CAP_")
	for i, c := range capNames {
		if c == n {
			return i, nil
		}
	}
	return 0, fmt.Errorf("unknown capability %q", name)
}

// capSet is Docker's default set plus add minus drop, as containerd's CRI
// computes it: "ALL" in add, then "ALL" in drop, then the named adds, then
// the named drops. Capabilities above lastCap (unknown to the kernel) are
// left out.
func capSet(add, drop []string, lastCap int) (uint64, error) {
	all := uint64(1)<<(lastCap+1) - 1
	var set uint64
	for _, n := range defaultCaps {
		c, _ := capNumber(n)
		set |= 1 << c
	}
	if hasAll(add) {
		set = all
	}
	if hasAll(drop) {
		set = 0
	}
	for _, list := range []struct {
		names []string
		add   bool
	}{{add, true}, {drop, false}} {
		for _, n := range list.names {
			if strings.EqualFold(n, "ALL") {
				continue
			}
			c, err := capNumber(n)
			if err != nil {
				return 0, err
			}
			if list.add {
				set |= 1 << c
			} else {
				set &^= 1 << c
			}
		}
	}
	return set & all, nil
}

func hasAll(names []string) bool {
	for _, n := range names {
		if strings.EqualFold(n, "ALL") {
			return true
		}
	}
	return false
}
