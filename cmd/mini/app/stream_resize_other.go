//go:build !unix

package app

import (
	"golang.org/x/term"
	"k8s.io/client-go/tools/remotecommand"
)

// sizeQueue reports the terminal's size once (no SIGWINCH here).
type sizeQueue struct {
	fd   int
	sent bool
}

func newSizeQueue(fd int) *sizeQueue { return &sizeQueue{fd: fd} }

func (q *sizeQueue) Next() *remotecommand.TerminalSize {
	if q.sent {
		select {}
	}
	q.sent = true
	w, h, err := term.GetSize(q.fd)
	if err != nil {
		return nil
	}
	return &remotecommand.TerminalSize{Width: uint16(w), Height: uint16(h)}
}
