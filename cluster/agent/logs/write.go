package logs

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// maxLine is the longest message a record holds; longer lines are split
// into partial records, as container runtimes do.
const maxLine = 16 << 10

// timeFormat is the records' timestamp: UTC, fixed width, so that records
// sort as text.
const timeFormat = "2006-01-02T15:04:05.000000000Z07:00"

// File is one container run's log, open for appending.
type File struct {
	mu     sync.Mutex
	f      *os.File
	now    func() time.Time
	out    stream
	errOut stream
	closed bool
}

// stream buffers the pending partial line of stdout or stderr.
type stream struct {
	file    *File
	name    string
	pending []byte
}

// Create opens path for appending records, creating it and its directory.
func Create(path string) (*File, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("create log directory for %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("open log %s: %w", path, err)
	}
	lf := &File{f: f, now: time.Now}
	lf.out = stream{file: lf, name: "stdout"}
	lf.errOut = stream{file: lf, name: "stderr"}
	return lf, nil
}

// Stdout is the writer for the container's standard output.
func (f *File) Stdout() io.Writer { return &f.out }

// Stderr is the writer for the container's standard error.
func (f *File) Stderr() io.Writer { return &f.errOut }

// Write records every complete line of p and keeps the rest pending; a
// pending line reaching 16 KiB is written as a partial record.
func (s *stream) Write(p []byte) (int, error) {
	f := s.file
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return 0, fmt.Errorf("write %s log %s: %w", s.name, f.f.Name(), os.ErrClosed)
	}
	s.pending = append(s.pending, p...)
	var buf bytes.Buffer
	now := f.now()
	for {
		i := bytes.IndexByte(s.pending, '\n')
		switch {
		case i >= 0 && i <= maxLine:
			appendRecord(&buf, now, s.name, 'F', s.pending[:i])
			s.pending = s.pending[i+1:]
			continue
		case len(s.pending) >= maxLine:
			appendRecord(&buf, now, s.name, 'P', s.pending[:maxLine])
			s.pending = s.pending[maxLine:]
			continue
		}
		break
	}
	s.pending = append([]byte(nil), s.pending...)
	if buf.Len() > 0 {
		if _, err := f.f.Write(buf.Bytes()); err != nil {
			return 0, fmt.Errorf("write %s log %s: %w", s.name, f.f.Name(), err)
		}
	}
	return len(p), nil
}

func appendRecord(buf *bytes.Buffer, t time.Time, streamName string, tag byte, msg []byte) {
	buf.WriteString(t.UTC().Format(timeFormat))
	buf.WriteByte(' ')
	buf.WriteString(streamName)
	buf.WriteByte(' ')
	buf.WriteByte(tag)
	buf.WriteByte(' ')
	buf.Write(msg)
	buf.WriteByte('\n')
}

// Close writes any pending partial line as a full record and closes the file.
func (f *File) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil
	}
	f.closed = true
	var buf bytes.Buffer
	now := f.now()
	for _, s := range []*stream{&f.out, &f.errOut} {
		if len(s.pending) > 0 {
			appendRecord(&buf, now, s.name, 'F', s.pending)
			s.pending = nil
		}
	}
	_, werr := f.f.Write(buf.Bytes())
	cerr := f.f.Close()
	if werr != nil {
		return fmt.Errorf("flush log %s: %w", f.f.Name(), werr)
	}
	if cerr != nil {
		return fmt.Errorf("close log %s: %w", f.f.Name(), cerr)
	}
	return nil
}
