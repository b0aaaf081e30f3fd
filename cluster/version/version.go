// Package version holds the version mini reports as its Kubernetes version
// (kubectl warns when it is more than one minor away from its own).
package version

// Version is set at build time with -ldflags "-X .../cluster/version.Version=...".
var Version = "v1.37.0-mini.0"
