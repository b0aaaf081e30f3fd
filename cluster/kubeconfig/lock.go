package kubeconfig

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"time"
)

// lockSuffix names mini's lock next to a kubeconfig. It differs from
// clientcmd's ".lock" so neither tool ever removes the other's lock.
const lockSuffix = ".mini.lock"

// clock is time as the locker sees it; tests inject one that never sleeps.
type clock interface {
	Now() time.Time
	Sleep(time.Duration)
}

type realClock struct{}

func (realClock) Now() time.Time        { return time.Now() }
func (realClock) Sleep(d time.Duration) { time.Sleep(d) }

// locker takes the lock file of a kubeconfig.
type locker struct {
	staleAfter time.Duration // a lock this old was left by a dead process
	timeout    time.Duration // how long to wait for a live lock
	poll       time.Duration
	clock      clock
}

var defaultLocker = locker{
	staleAfter: 10 * time.Second,
	timeout:    5 * time.Second,
	poll:       50 * time.Millisecond,
	clock:      realClock{},
}

// acquire creates path+".mini.lock" and returns the function that removes it.
// A lock older than staleAfter is removed and taken over; a younger one is
// waited on until timeout, then the error names the lock file.
//
// Two processes that find the same stale lock at once may both remove it, and
// the later removal can hit the lock the other just took; the window needs a
// crashed writer plus two racing ones and lasts microseconds, which a lock
// file without OS support cannot close.
func (l locker) acquire(path string) (release func(), err error) {
	name := path + lockSuffix
	deadline := l.clock.Now().Add(l.timeout)
	for {
		f, err := os.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err == nil {
			// The PID helps whoever finds a lock file wonder who left it.
			_, _ = f.WriteString(strconv.Itoa(os.Getpid()) + "\n")
			_ = f.Close()
			return func() { _ = os.Remove(name) }, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("lock kubeconfig: %w", err)
		}

		fi, err := os.Stat(name)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			continue // released between our create and stat
		case err != nil:
			return nil, fmt.Errorf("lock kubeconfig: %w", err)
		}
		if age := l.clock.Now().Sub(fi.ModTime()); age > l.staleAfter {
			if err := os.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("remove stale kubeconfig lock %s (%s old): %w", name, age.Round(time.Second), err)
			}
			continue
		}
		if !l.clock.Now().Before(deadline) {
			return nil, fmt.Errorf("kubeconfig %s is still locked by %s after %s: another mini command may be writing it; retry, or remove the lock file if no mini command is running", path, name, l.timeout)
		}
		l.clock.Sleep(l.poll)
	}
}
