package data

import (
	"context"
	"sync"
	"time"

	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
)

// Options tune a Source. Zero values take the defaults.
type Options struct {
	// MinGap is the least time between two batches: changes arriving
	// faster are coalesced per key (default 50ms).
	MinGap time.Duration
	// MaxBackoff caps the wait between reconnect probes (default 30s).
	MaxBackoff time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Heartbeat is how often the API is asked whether it answers (GET
	// /version, default 5s). A watch that fails with "connection refused"
	// is retried by client-go without calling any error handler, so this
	// is what notices a control plane gone.
	Heartbeat time.Duration
}

// Source watches a cluster and hands out coalesced batches of changes.
type Source struct {
	client kubernetes.Interface
	opts   Options

	mu       sync.Mutex
	pending  map[Key]Object // nil value: deleted
	conn     *Conn          // connection change not yet handed out
	up       bool
	since    time.Time // when up last changed
	probing  bool
	synced   bool
	sentSync bool
	notify   chan struct{}
	last     time.Time
}

// NewSource returns a source over client; Start begins watching.
func NewSource(client kubernetes.Interface, opts Options) *Source {
	if opts.MinGap == 0 {
		opts.MinGap = 50 * time.Millisecond
	}
	if opts.MaxBackoff == 0 {
		opts.MaxBackoff = 30 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Heartbeat == 0 {
		opts.Heartbeat = 5 * time.Second
	}
	return &Source{client: client, opts: opts, pending: map[Key]Object{}, up: true, notify: make(chan struct{}, 1)}
}

// Start runs the informers until ctx ends. It does not block.
func (s *Source) Start(ctx context.Context) {
	f := informers.NewSharedInformerFactory(s.client, 0)
	infs := []cache.SharedIndexInformer{
		f.Core().V1().Nodes().Informer(),
		f.Core().V1().Pods().Informer(),
		f.Apps().V1().Deployments().Informer(),
		f.Apps().V1().StatefulSets().Informer(),
		f.Apps().V1().DaemonSets().Informer(),
		f.Batch().V1().Jobs().Informer(),
		f.Core().V1().Services().Informer(),
		f.Discovery().V1().EndpointSlices().Informer(),
		f.Core().V1().Events().Informer(),
	}
	h := cache.ResourceEventHandlerFuncs{
		AddFunc:    func(o any) { s.put(Convert(o)) },
		UpdateFunc: func(_, o any) { s.put(Convert(o)) },
		DeleteFunc: func(o any) {
			if d, ok := o.(cache.DeletedFinalStateUnknown); ok {
				o = d.Obj
			}
			if v := Convert(o); v != nil {
				s.del(v.ObjectKey())
			}
		},
	}
	for _, inf := range infs {
		_, _ = inf.AddEventHandler(h)
		_ = inf.SetWatchErrorHandlerWithContext(func(ctx context.Context, _ *cache.Reflector, err error) {
			s.watchFailed(ctx, err)
		})
	}
	f.Start(ctx.Done())
	// One probe up front: client-go retries a refused list for a long
	// time before any watch error handler runs, and the banner should
	// show within seconds.
	s.watchFailed(ctx, nil)
	go func() {
		synced := true
		for _, ok := range f.WaitForCacheSync(ctx.Done()) {
			synced = synced && ok
		}
		if synced {
			s.mu.Lock()
			s.synced = true
			s.mu.Unlock()
			s.wake()
		}
	}()
	go func() { <-ctx.Done(); f.Shutdown() }()
	go s.heartbeat(ctx)
}

// heartbeat pings the API every Heartbeat while it is up; a failed ping
// starts the probe with back-off (and the banner).
func (s *Source) heartbeat(ctx context.Context) {
	t := time.NewTicker(s.opts.Heartbeat)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		s.mu.Lock()
		busy := s.probing
		s.mu.Unlock()
		if !busy && s.ping(ctx) != nil && ctx.Err() == nil {
			s.watchFailed(ctx, nil)
		}
	}
}

func (s *Source) wake() {
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

func (s *Source) put(o Object) {
	if o == nil {
		return
	}
	s.mu.Lock()
	s.pending[o.ObjectKey()] = o
	if !s.up && !s.probing {
		s.setConnLocked(true, "", 0)
	}
	s.mu.Unlock()
	s.wake()
}

func (s *Source) del(k Key) {
	s.mu.Lock()
	s.pending[k] = nil
	s.mu.Unlock()
	s.wake()
}

func (s *Source) setConnLocked(up bool, err string, retry time.Duration) {
	if s.up == up && up {
		return
	}
	since := s.opts.Now()
	if !up && !s.up && s.since != (time.Time{}) {
		since = s.since // still down: since the first failure
	}
	s.up, s.since = up, since
	s.conn = &Conn{Up: up, Err: err, Since: since, Retry: retry}
}

// watchFailed checks whether the API answers at all; only then is a watch
// error worth a banner. While it does not answer, it probes with back-off
// until it does.
func (s *Source) watchFailed(ctx context.Context, _ error) {
	s.mu.Lock()
	if s.probing {
		s.mu.Unlock()
		return
	}
	s.probing = true
	s.mu.Unlock()
	go s.probe(ctx)
}

func (s *Source) probe(ctx context.Context) {
	backoff := time.Second
	for {
		err := s.ping(ctx)
		s.mu.Lock()
		if err == nil {
			s.probing = false
			s.setConnLocked(true, "", 0)
			s.mu.Unlock()
			s.wake()
			return
		}
		s.setConnLocked(false, err.Error(), backoff)
		s.conn.Retry = backoff
		s.mu.Unlock()
		s.wake()
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, s.opts.MaxBackoff)
	}
}

func (s *Source) ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	return s.client.Discovery().RESTClient().Get().AbsPath("/version").Do(ctx).Error()
}

// Next blocks until something changed (or ctx ends: ok false) and returns
// every change since the last call, at most one per key. Batches are at
// least MinGap apart so a storm of updates costs one render per gap.
func (s *Source) Next(ctx context.Context) (Batch, bool) {
	select {
	case <-ctx.Done():
		return Batch{}, false
	case <-s.notify:
	}
	if gap := s.opts.MinGap - time.Since(s.last); gap > 0 {
		select {
		case <-ctx.Done():
			return Batch{}, false
		case <-time.After(gap):
		}
	}
	s.last = time.Now()
	return s.drain(), true
}

func (s *Source) drain() Batch {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b Batch
	for k, o := range s.pending {
		if o == nil {
			b.Deletes = append(b.Deletes, k)
		} else {
			b.Upserts = append(b.Upserts, o)
		}
	}
	clear(s.pending)
	b.Conn, s.conn = s.conn, nil
	if s.synced && !s.sentSync {
		b.Synced, s.sentSync = true, true
	}
	return b
}
