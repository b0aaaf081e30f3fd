// Package logs holds the CRI log format a container's output is kept in, as
// the kubelet reads it: one record per line,
//
//	2026-11-25T13:00:00.123456789Z stdout F message
//
// where F marks a full line and P a partial one (a line over 16 KiB is cut
// into P records ending with an F record). File writes it; Read prints it
// the way `kubectl logs` shows it, with follow, tail, since, timestamps and
// a byte limit.
package logs
