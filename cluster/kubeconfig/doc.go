// Package kubeconfig writes the kubeconfig files that point kubectl and
// client-go programs at a mini cluster.
//
// Build and WriteFile make a cluster's own kubeconfig; Merge and Remove edit a
// shared one (normally ~/.kube/config), touching only the entries named
// "mini-<cluster>" and keeping every other cluster, user, context, preference
// and extension. The format is read and written with client-go's clientcmd.
//
// Edits of a shared file are guarded by a lock file next to it,
// "<path>.mini.lock", created with O_EXCL. A lock older than ten seconds is
// left over from a crashed process and is removed (kind#1425: stale locks
// blocked users until they deleted them by hand); a fresh one is waited on for
// five seconds, then the error names it. clientcmd's own "<path>.lock" is
// never created or removed. Every write goes to a temporary file in the same
// directory and is renamed into place, so readers never see half a file.
package kubeconfig
