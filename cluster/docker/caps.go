package docker

import "strings"

// IsPrivilegedRefused reports whether err, from starting a privileged
// container, says the runtime could not grant the capabilities --privileged
// asks for. runc reports it as
//
//	OCI runtime create failed: runc create failed: unable to start container
//	process: unable to apply caps: operation not permitted
//
// when the host's capability bounding set lacks one (rootless engines, some
// CI sandboxes). Older runc versions say "apply caps" in other words, so
// "operation not permitted" together with "caps" counts too.
func IsPrivilegedRefused(err error) bool {
	if err == nil {
		return false
	}
	msg := strings.ToLower(err.Error())
	if strings.Contains(msg, "unable to apply caps") {
		return true
	}
	return strings.Contains(msg, "operation not permitted") && strings.Contains(msg, "caps")
}
