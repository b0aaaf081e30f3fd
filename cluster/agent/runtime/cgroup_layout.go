package runtime

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// v1Controllers are the cgroup v1 controllers the runtime uses.
var v1Controllers = []string{"memory", "cpu", "pids"}

// cgroupLayout is where the node's own cgroup is in the filesystem.
type cgroupLayout struct {
	v2   bool
	dirs map[string]string // v1: controller -> dir; v2: "" -> dir
	// missing says, for v1, which wanted controllers were not found and why.
	missing []string
}

// parseProcCgroup reads /proc/self/cgroup: v1 maps each controller to its
// path ("4:memory:/docker/ID"); unified is the path of the "0::" line.
func parseProcCgroup(text string) (v1 map[string]string, unified string, hasUnified bool) {
	v1 = map[string]string{}
	for _, line := range strings.Split(text, "\n") {
		parts := strings.SplitN(strings.TrimSpace(line), ":", 3)
		if len(parts) != 3 {
			continue
		}
		if parts[0] == "0" && parts[1] == "" {
			unified, hasUnified = parts[2], true
			continue
		}
		for _, c := range strings.Split(parts[1], ",") {
			if c != "" {
				v1[c] = parts[2]
			}
		}
	}
	return v1, unified, hasUnified
}

// cgroupMount is a cgroup or cgroup2 mount from /proc/self/mountinfo.
type cgroupMount struct {
	point, root string
	v2          bool
	readOnly    bool
	controllers []string // v1 only
}

// parseCgroupMounts reads the cgroup mounts of /proc/self/mountinfo, in its
// order (a later mount on the same point covers an earlier one).
func parseCgroupMounts(mountinfo string) []cgroupMount {
	var out []cgroupMount
	for _, line := range strings.Split(mountinfo, "\n") {
		f := strings.Fields(line)
		sep := -1
		for i, x := range f {
			if x == "-" && i >= 6 {
				sep = i
				break
			}
		}
		if sep < 0 || sep+3 > len(f) {
			continue
		}
		fstype := f[sep+1]
		if fstype != "cgroup" && fstype != "cgroup2" {
			continue
		}
		m := cgroupMount{root: unescapeMount(f[3]), point: unescapeMount(f[4]), v2: fstype == "cgroup2"}
		for _, o := range strings.Split(f[5], ",") {
			m.readOnly = m.readOnly || o == "ro"
		}
		if !m.v2 && sep+3 < len(f) {
			m.controllers = strings.Split(f[sep+3], ",")
		}
		out = append(out, m)
	}
	return out
}

// unescapeMount undoes mountinfo's octal escapes ("\040" for a space).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// cgroupRel is p (a path in the hierarchy) relative to a mount of the
// hierarchy rooted at root, or false when that mount cannot reach it.
func cgroupRel(root, p string) (string, bool) {
	switch {
	case root == "/":
		return p, true
	case p == root:
		return "/", true
	case strings.HasPrefix(p, root+"/"):
		return p[len(root):], true
	}
	return "", false
}

// detectLayout finds the node's cgroup dirs from /proc/self/cgroup and
// /proc/self/mountinfo: v1 when a v1 hierarchy holds one of the wanted
// controllers (a hybrid host's empty "unified" mount is ignored), v2 when
// only cgroup2 is mounted.
func detectLayout(procCgroup, mountinfo string) (cgroupLayout, error) {
	v1, unified, hasUnified := parseProcCgroup(procCgroup)
	mounts := parseCgroupMounts(mountinfo)
	l := cgroupLayout{dirs: map[string]string{}}
	for _, ctrl := range v1Controllers {
		path, inProc := v1[ctrl]
		found := false
		for _, m := range mounts {
			if m.v2 || !slices.Contains(m.controllers, ctrl) {
				continue
			}
			found = true
			if !inProc {
				continue
			}
			if rel, ok := cgroupRel(m.root, path); ok {
				l.dirs[ctrl] = filepath.Join(m.point, rel) // the last mount wins
			}
		}
		switch {
		case !found:
			l.missing = append(l.missing, fmt.Sprintf("cgroup v1 %s controller is not mounted", ctrl))
		case !inProc:
			l.missing = append(l.missing, fmt.Sprintf("cgroup v1 %s controller is not in /proc/self/cgroup", ctrl))
		case l.dirs[ctrl] == "":
			l.missing = append(l.missing, fmt.Sprintf("cgroup v1 %s path %s is outside every mount of it", ctrl, path))
		}
	}
	if anyV1(mounts) {
		return l, nil
	}
	l.v2 = true
	l.missing = nil
	if !hasUnified {
		return l, fmt.Errorf("no cgroup v1 controllers and no cgroup v2 path in /proc/self/cgroup")
	}
	for _, m := range mounts {
		if !m.v2 {
			continue
		}
		if rel, ok := cgroupRel(m.root, unified); ok {
			l.dirs[""] = filepath.Join(m.point, rel)
		}
	}
	if l.dirs[""] == "" {
		return l, fmt.Errorf("no cgroup2 mount reaches the node's cgroup %s", unified)
	}
	return l, nil
}

// anyV1 reports whether a v1 hierarchy with one of the wanted controllers
// is mounted.
func anyV1(mounts []cgroupMount) bool {
	for _, m := range mounts {
		for _, c := range v1Controllers {
			if !m.v2 && slices.Contains(m.controllers, c) {
				return true
			}
		}
	}
	return false
}
