package logs

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// pollInterval is how often a followed log is checked for new records.
const pollInterval = 100 * time.Millisecond

// Options are kubectl logs' options, as the kubelet takes them.
type Options struct {
	// Follow keeps reading records as they are written.
	Follow bool
	// TailLines, when set, starts at the last N records.
	TailLines *int64
	// Since skips records written before it.
	Since time.Time
	// Timestamps prefixes each message with its RFC3339Nano time and a space.
	Timestamps bool
	// LimitBytes, when set, stops after that many bytes of output.
	LimitBytes *int64
}

// errLimit ends a read at LimitBytes.
var errLimit = errors.New("log byte limit reached")

// Read writes the log at path to w as `kubectl logs` shows it. With Follow
// it keeps reading new records until done is closed (the run ended) and
// everything written is drained, or ctx ends. If w has a Flush method it is
// called whenever Read waits for more records.
func Read(ctx context.Context, path string, opts Options, w io.Writer, done <-chan struct{}) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open log %s: %w", path, err)
	}
	defer f.Close()
	if opts.TailLines != nil {
		off, err := tailOffset(f, *opts.TailLines)
		if err != nil {
			return fmt.Errorf("find the last %d lines of log %s: %w", *opts.TailLines, path, err)
		}
		if _, err := f.Seek(off, io.SeekStart); err != nil {
			return fmt.Errorf("seek log %s: %w", path, err)
		}
	}
	out := &printer{w: w, opts: opts, left: -1}
	if opts.LimitBytes != nil {
		out.left = *opts.LimitBytes
	}
	r := bufio.NewReaderSize(f, 64<<10)
	var partial []byte
	var ticker *time.Ticker
	finished := false
	for {
		line, err := r.ReadSlice('\n')
		if err == nil || errors.Is(err, bufio.ErrBufferFull) {
			partial = append(partial, line...)
			if err == nil {
				perr := out.record(partial)
				partial = partial[:0]
				if errors.Is(perr, errLimit) {
					return nil
				}
				if perr != nil {
					return perr
				}
			}
			continue
		}
		if !errors.Is(err, io.EOF) {
			return fmt.Errorf("read log %s: %w", path, err)
		}
		// At the end: an incomplete record is a write in progress.
		partial = append(partial, line...)
		if !opts.Follow || finished {
			return nil
		}
		flush(w)
		select {
		case <-done:
			// Everything was written before done closed: one more pass.
			finished = true
			continue
		default:
		}
		if ticker == nil {
			ticker = time.NewTicker(pollInterval)
			defer ticker.Stop()
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-done:
			finished = true
		case <-ticker.C:
		}
	}
}

func flush(w io.Writer) {
	if f, ok := w.(interface{ Flush() }); ok {
		f.Flush()
	}
}

// tailOffset is where the last n records of f start.
func tailOffset(f *os.File, n int64) (int64, error) {
	if n < 0 {
		return 0, nil
	}
	// starts is a ring of the offsets of the last n+1 record starts.
	starts := make([]int64, n+1)
	var count, off int64
	r := bufio.NewReaderSize(f, 64<<10)
	for {
		line, err := r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			off += int64(len(line))
			continue
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return 0, err
		}
		if len(line) > 0 && line[len(line)-1] == '\n' {
			off += int64(len(line))
			count++
			starts[count%(n+1)] = off
		}
		if err != nil {
			break
		}
	}
	if count <= n {
		return 0, nil
	}
	// The start of the n-th last record is the end of record count-n.
	return starts[(count-n)%(n+1)], nil
}

// printer writes records as kubectl shows them.
type printer struct {
	w    io.Writer
	opts Options
	left int64 // bytes still allowed; -1 is no limit
}

// record prints one record line (with its trailing newline); lines that are
// not records are skipped.
func (p *printer) record(line []byte) error {
	rec, ok := parseRecord(line)
	if !ok {
		return nil
	}
	if !p.opts.Since.IsZero() && rec.time.Before(p.opts.Since) {
		return nil
	}
	var buf bytes.Buffer
	if p.opts.Timestamps {
		buf.WriteString(rec.time.Format(time.RFC3339Nano))
		buf.WriteByte(' ')
	}
	buf.Write(rec.msg)
	if !rec.partial {
		buf.WriteByte('\n')
	}
	b := buf.Bytes()
	limited := false
	if p.left >= 0 && int64(len(b)) >= p.left {
		b, limited = b[:p.left], true
	}
	if _, err := p.w.Write(b); err != nil {
		return fmt.Errorf("write log output: %w", err)
	}
	if p.left >= 0 {
		p.left -= int64(len(b))
	}
	if limited {
		return errLimit
	}
	return nil
}

type record struct {
	time    time.Time
	stream  string
	partial bool
	msg     []byte
}

// parseRecord splits "TIME STREAM TAG MSG\n".
func parseRecord(line []byte) (record, bool) {
	line = bytes.TrimSuffix(line, []byte{'\n'})
	ts, rest, ok := bytes.Cut(line, []byte{' '})
	if !ok {
		return record{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, string(ts))
	if err != nil {
		return record{}, false
	}
	stream, rest, ok := bytes.Cut(rest, []byte{' '})
	if !ok {
		return record{}, false
	}
	tag, msg, _ := bytes.Cut(rest, []byte{' '})
	if len(tag) != 1 || (tag[0] != 'F' && tag[0] != 'P') {
		return record{}, false
	}
	return record{time: t, stream: string(stream), partial: tag[0] == 'P', msg: msg}, true
}
