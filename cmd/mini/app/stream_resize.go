//go:build unix

package app

import (
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/term"
	"k8s.io/client-go/tools/remotecommand"
)

// sizeQueue reports the terminal's size, then each change (SIGWINCH).
type sizeQueue struct {
	fd    int
	first bool
	sig   chan os.Signal
}

func newSizeQueue(fd int) *sizeQueue {
	q := &sizeQueue{fd: fd, first: true, sig: make(chan os.Signal, 1)}
	signal.Notify(q.sig, syscall.SIGWINCH)
	return q
}

// Next blocks until the size changes; the executor calls it from its own
// goroutine for the whole session.
func (q *sizeQueue) Next() *remotecommand.TerminalSize {
	if !q.first {
		if _, ok := <-q.sig; !ok {
			return nil
		}
	}
	q.first = false
	w, h, err := term.GetSize(q.fd)
	if err != nil {
		return nil
	}
	return &remotecommand.TerminalSize{Width: uint16(w), Height: uint16(h)}
}
