package runtime

import (
	"strings"

	"golang.org/x/sys/unix"
)

// mountOptionFlags are the Mount.Options that are mount flags; others are
// passed to the filesystem as data.
var mountOptionFlags = map[string]uintptr{
	"ro": unix.MS_RDONLY, "rw": 0, "nosuid": unix.MS_NOSUID, "nodev": unix.MS_NODEV,
	"noexec": unix.MS_NOEXEC, "noatime": unix.MS_NOATIME, "nodiratime": unix.MS_NODIRATIME,
	"relatime": unix.MS_RELATIME, "strictatime": unix.MS_STRICTATIME,
	"bind": 0, "rbind": 0, "private": 0, "rprivate": 0,
}

// mountFlags splits m's options into flags and filesystem data. A tmpfs
// is nosuid and nodev by default, as Docker's.
func mountFlags(m Mount) (flags uintptr, data string) {
	if m.Type == "tmpfs" {
		flags = unix.MS_NOSUID | unix.MS_NODEV
	}
	if m.ReadOnly {
		flags |= unix.MS_RDONLY
	}
	var rest []string
	for _, o := range m.Options {
		if f, ok := mountOptionFlags[o]; ok {
			flags |= f
		} else {
			rest = append(rest, o)
		}
	}
	return flags, strings.Join(rest, ",")
}
