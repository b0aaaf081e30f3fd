package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// Errors returned by the store, wrapped with the operation and key; test with
// errors.Is.
var (
	ErrNotFound = errors.New("not found")
	ErrExists   = errors.New("already exists")
	ErrConflict = errors.New("revision conflict") // expected revision did not match
	ErrExpired  = errors.New("revision expired")  // watch from a revision older than the history window
	ErrClosed   = errors.New("store closed")
)

const (
	defaultHistory     = 10000
	defaultWatchBuffer = 1000
	// defaultMaxBatch caps how many writes share one transaction.
	defaultMaxBatch = 1000
	// lockTimeout is how long Open waits for another process's file lock.
	lockTimeout = time.Second
)

// Options tune a Store; zero values take the defaults.
type Options struct {
	History     int // events kept in memory for watches; default 10000
	WatchBuffer int // per-watcher channel capacity; default 1000
}

func (o Options) withDefaults() Options {
	if o.History <= 0 {
		o.History = defaultHistory
	}
	if o.WatchBuffer <= 0 {
		o.WatchBuffer = defaultWatchBuffer
	}
	return o
}

// Store is a durable key/value store with a global revision and watches.
// It is safe for concurrent use.
type Store struct {
	db          *bolt.DB
	path        string
	watchBuffer int
	maxBatch    int

	// reqs hands write requests to the writer goroutine. It is unbuffered:
	// a request is either taken by the writer or abandoned by its caller.
	reqs       chan *writeReq
	closing    chan struct{}
	writerDone chan struct{}
	closeOnce  sync.Once
	closeErr   error

	// lastRev is the last committed revision; only the writer touches it.
	lastRev int64
	// rev is the last published revision, read without the lock by Rev.
	rev atomic.Int64
	// writes and commits count successful writes and committed
	// transactions, for Stats.
	writes, commits atomic.Int64

	// mu guards what watches read: the history, the watchers and closed.
	mu       sync.Mutex
	history  *ring
	floor    int64 // a watch must start at a revision >= floor
	watchers map[*watcher]struct{}
	closed   bool
}

// Open opens the store at path, creating the file, its directory and the
// buckets if needed. It waits at most a second for another process holding
// the file.
func Open(path string, opts Options) (*Store, error) {
	return open(path, opts, writerOptions{maxBatch: defaultMaxBatch})
}

// writerOptions tune group commit; tests and benchmarks vary them.
type writerOptions struct {
	maxBatch int
	// syncFreelist writes bbolt's freelist in every commit, as bbolt does by
	// default; benchmarks compare it.
	syncFreelist bool
}

// initialMmapSize is mapped at open so that the map need not grow (which
// waits for every reader) until the file outgrows it; it costs address
// space, not memory.
const initialMmapSize = 256 << 20

// boltOptions: like etcd, the freelist is not written with every commit
// (bbolt rebuilds it at open by scanning the pages; data and meta pages are
// still fsynced before a commit returns, so durability is unchanged) and is
// kept as a hashmap, whose allocations do not slow down as it grows.
func boltOptions(wo writerOptions) *bolt.Options {
	return &bolt.Options{
		Timeout:         lockTimeout,
		NoFreelistSync:  !wo.syncFreelist,
		FreelistType:    bolt.FreelistMapType,
		InitialMmapSize: initialMmapSize,
	}
}

func open(path string, opts Options, wo writerOptions) (*Store, error) {
	opts = opts.withDefaults()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	db, err := bolt.Open(path, 0o600, boltOptions(wo))
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("store %s is locked by another process (is another control plane running?): %w", path, err)
	}
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	rev, err := initBuckets(db)
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	s := &Store{
		db:          db,
		path:        path,
		watchBuffer: opts.WatchBuffer,
		maxBatch:    wo.maxBatch,
		reqs:        make(chan *writeReq),
		closing:     make(chan struct{}),
		writerDone:  make(chan struct{}),
		lastRev:     rev,
		history:     newRing(opts.History),
		floor:       rev,
		watchers:    make(map[*watcher]struct{}),
	}
	s.rev.Store(rev)
	go s.runWriter()
	return s, nil
}

// Close stops accepting writes, waits for the write in flight, closes every
// watch channel and closes the file. Calling it again returns the first
// result.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		close(s.closing)
		<-s.writerDone
		s.mu.Lock()
		s.closed = true
		for w := range s.watchers {
			s.dropLocked(w)
		}
		s.mu.Unlock()
		if err := s.db.Close(); err != nil {
			s.closeErr = fmt.Errorf("close store %s: %w", s.path, err)
		}
	})
	return s.closeErr
}

// Rev returns the store's current revision: 0 for a new store, else the
// revision of the last acknowledged write.
func (s *Store) Rev() int64 {
	return s.rev.Load()
}

// readErr maps bbolt's error for a closed database to ErrClosed.
func readErr(err error) error {
	if errors.Is(err, bolterrors.ErrDatabaseNotOpen) {
		return ErrClosed
	}
	return err
}

// ctxErr is ctx.Err with the operation named.
func ctxErr(ctx context.Context, op, key string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s %s: %w", op, key, err)
	}
	return nil
}

// Stats counts the store's writes and commits since it opened.
type Stats struct {
	Writes  int64 // successful writes, each with its own revision
	Commits int64 // transactions committed (fsynced); Writes/Commits is the mean batch
}

// Stats returns the counts so far.
func (s *Store) Stats() Stats {
	return Stats{Writes: s.writes.Load(), Commits: s.commits.Load()}
}
