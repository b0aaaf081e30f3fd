package runtime

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// stdio connects a child's fds 0-2 to the caller's streams: an *os.File is
// handed over as it is, any other reader or writer through a pipe and a
// copying goroutine; with a TTY, through the pty master the child sends.
type stdio struct {
	child           [3]*os.File // the child's fds 0-2
	closeAfterStart []*os.File  // our copies of the child's pipe ends
	in              io.Reader
	stdinW          *os.File // our end of a stdin pipe
	stdout          io.Writer
	readers         []*os.File     // our ends of output pipes, and the pty master
	copying         sync.WaitGroup // output copies
	master          *os.File
}

func newStdio(in io.Reader, out, errOut io.Writer, tty bool, devNull *os.File) (*stdio, error) {
	s := &stdio{in: in, stdout: out, child: [3]*os.File{devNull, devNull, devNull}}
	if tty {
		return s, nil // the child's stdio will be its pty: see attachPTY
	}
	if f, ok := in.(*os.File); ok {
		s.child[0] = f
	} else if in != nil {
		r, w, err := os.Pipe()
		if err != nil {
			return nil, fmt.Errorf("stdin pipe: %w", err)
		}
		s.child[0], s.stdinW = r, w
		s.closeAfterStart = append(s.closeAfterStart, r)
	}
	for i, w := range []io.Writer{out, errOut} {
		if f, ok := w.(*os.File); ok {
			s.child[i+1] = f
			continue
		}
		if w == nil {
			continue
		}
		r, pw, err := os.Pipe()
		if err != nil {
			s.close()
			return nil, fmt.Errorf("output pipe: %w", err)
		}
		s.child[i+1] = pw
		s.closeAfterStart = append(s.closeAfterStart, pw)
		s.readers = append(s.readers, r)
		s.copying.Add(1)
		go copyOut(&s.copying, w, r)
	}
	return s, nil
}

// afterStart drops our copies of the child's ends, so that EOF comes when
// the child's side closes.
func (s *stdio) afterStart() {
	for _, f := range s.closeAfterStart {
		f.Close()
	}
	s.closeAfterStart = nil
}

// attachPTY connects the pty master (a raw fd from the child) to the
// streams.
func (s *stdio) attachPTY(fd int) error {
	// Non-blocking, so that reading it waits in the poller, not on a thread.
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return fmt.Errorf("pty master: %w", err)
	}
	s.master = os.NewFile(uintptr(fd), "ptmx")
	s.readers = append(s.readers, s.master)
	s.copying.Add(1)
	go copyOut(&s.copying, s.stdout, s.master)
	return nil
}

// startStdin copies the caller's stdin to the child, once it runs.
func (s *stdio) startStdin() {
	switch {
	case s.in == nil:
	case s.master != nil:
		go func() { _, _ = io.Copy(s.master, s.in) }()
	case s.stdinW != nil:
		go func() {
			_, _ = io.Copy(s.stdinW, s.in)
			s.stdinW.Close()
		}()
	}
}

// wait waits until the outputs are drained (every writer of them closed),
// or, once ctx is done, stops copying.
func (s *stdio) wait(ctx context.Context) {
	done := make(chan struct{})
	go func() {
		s.copying.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		s.close()
		<-done
	}
}

// close releases every fd of ours; copies in progress end.
func (s *stdio) close() {
	for _, f := range append(s.closeAfterStart, s.readers...) {
		f.Close()
	}
	if s.stdinW != nil {
		s.stdinW.Close()
	}
}

// copyOut copies a child's output to w until EOF (EIO for a pty whose
// other side is closed). A failing w does not stop the draining.
func copyOut(wg *sync.WaitGroup, w io.Writer, r *os.File) {
	defer wg.Done()
	buf := make([]byte, 8<<10)
	for {
		n, err := r.Read(buf)
		if n > 0 && w != nil {
			_, _ = w.Write(buf[:n])
		}
		if err != nil {
			return // EOF, EIO from a pty, or closed by close()
		}
	}
}
