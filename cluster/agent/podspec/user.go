package podspec

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// User resolves the uid, gid and additional gids of a container's process
// as the kubelet and containerd do. securityContext.runAsUser and
// runAsGroup (the container's over the pod's) win; without runAsUser the
// image's User applies: "uid", "uid:gid", "name", "name:group" or "" (root),
// names looked up in the rootfs's /etc/passwd and /etc/group read through
// open (missing files are fine for numeric ids). Without a group the user's
// passwd entry gives it (else 0). The additional gids are the primary gid,
// the /etc/group groups listing the user (unless supplementalGroupsPolicy is
// Strict), the pod's supplementalGroups and its fsGroup, without duplicates.
//
// runAsNonRoot fails, with the kubelet's message, a uid 0 and an image user
// given by name (whose uid the kubelet cannot check).
func User(pod *corev1.Pod, c *corev1.Container, imageUser string, open func(path string) (io.ReadCloser, error)) (uid, gid uint32, extra []uint32, err error) {
	sc := effectiveSecurity(pod, c)
	db := &userDB{open: open}
	var name string
	if sc.runAsUser != nil {
		if *sc.runAsUser == 0 && sc.nonRoot {
			return 0, 0, nil, fmt.Errorf("container's runAsUser breaks non-root policy (pod: %q, container: %s)", podRef(pod), c.Name)
		}
		if uid, err = toID(*sc.runAsUser, "runAsUser"); err != nil {
			return 0, 0, nil, err
		}
		if u, ok, err := db.userByID(uid); err != nil {
			return 0, 0, nil, err
		} else if ok {
			name, gid = u.name, u.gid
		}
	} else {
		uid, gid, name, err = db.resolveImageUser(imageUser)
		if err != nil {
			return 0, 0, nil, err
		}
		if sc.nonRoot {
			userPart, _, _ := strings.Cut(imageUser, ":")
			if _, numErr := strconv.ParseUint(userPart, 10, 32); userPart != "" && numErr != nil {
				return 0, 0, nil, fmt.Errorf("container has runAsNonRoot and image has non-numeric user (%s), cannot verify user is non-root (pod: %q, container: %s)", userPart, podRef(pod), c.Name)
			}
			if uid == 0 {
				return 0, 0, nil, fmt.Errorf("container has runAsNonRoot and image will run as root (pod: %q, container: %s)", podRef(pod), c.Name)
			}
		}
	}
	if sc.runAsGroup != nil {
		if gid, err = toID(*sc.runAsGroup, "runAsGroup"); err != nil {
			return 0, 0, nil, err
		}
	}
	extra = []uint32{gid}
	if !sc.strictGroups && name != "" {
		groups, err := db.memberOf(name)
		if err != nil {
			return 0, 0, nil, err
		}
		extra = append(extra, groups...)
	}
	for _, g := range sc.supplemental {
		id, err := toID(g, "supplementalGroups")
		if err != nil {
			return 0, 0, nil, err
		}
		extra = append(extra, id)
	}
	if sc.fsGroup != nil {
		id, err := toID(*sc.fsGroup, "fsGroup")
		if err != nil {
			return 0, 0, nil, err
		}
		extra = append(extra, id)
	}
	return uid, gid, dedup(extra), nil
}

type security struct {
	runAsUser, runAsGroup, fsGroup *int64
	nonRoot, strictGroups          bool
	supplemental                   []int64
}

func effectiveSecurity(pod *corev1.Pod, c *corev1.Container) security {
	var s security
	var nonRoot *bool
	if p := pod.Spec.SecurityContext; p != nil {
		s.runAsUser, s.runAsGroup, nonRoot = p.RunAsUser, p.RunAsGroup, p.RunAsNonRoot
		s.fsGroup, s.supplemental = p.FSGroup, p.SupplementalGroups
		s.strictGroups = p.SupplementalGroupsPolicy != nil && *p.SupplementalGroupsPolicy == corev1.SupplementalGroupsPolicyStrict
	}
	if cs := c.SecurityContext; cs != nil {
		if cs.RunAsUser != nil {
			s.runAsUser = cs.RunAsUser
		}
		if cs.RunAsGroup != nil {
			s.runAsGroup = cs.RunAsGroup
		}
		if cs.RunAsNonRoot != nil {
			nonRoot = cs.RunAsNonRoot
		}
	}
	s.nonRoot = isTrue(nonRoot)
	return s
}

func toID(v int64, field string) (uint32, error) {
	if v < 0 || v > 1<<32-2 {
		return 0, fmt.Errorf("%s %d is out of range", field, v)
	}
	return uint32(v), nil
}

func dedup(ids []uint32) []uint32 {
	seen := make(map[uint32]bool, len(ids))
	out := ids[:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// podRef formats a pod as the kubelet's format.Pod does.
func podRef(pod *corev1.Pod) string {
	return fmt.Sprintf("%s_%s(%s)", pod.Name, pod.Namespace, pod.UID)
}
