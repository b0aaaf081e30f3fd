// Package loop is the reconcile loop every mini controller runs: a
// de-duplicating, rate-limited work queue of keys (client-go's workqueue),
// N workers, one reconcile per key at a time, Forget on success, back-off
// on error, panics recovered per reconcile. Watch handlers only enqueue
// keys; Reconcile re-reads state: level-triggered, as controller-runtime.
package loop

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
)

// Reconciler brings one key (namespace/name, or name) to its desired state.
// A non-nil error requeues the key with back-off; requeueAfter > 0 requeues
// it after that delay.
type Reconciler func(ctx context.Context, key string) (requeueAfter time.Duration, err error)

// Loop owns a queue and runs a reconciler over it.
type Loop struct {
	name      string
	queue     workqueue.TypedRateLimitingInterface[string]
	reconcile Reconciler
	log       *slog.Logger
}

// New returns a loop named for logs.
func New(name string, reconcile Reconciler, log *slog.Logger) *Loop {
	if log == nil {
		log = slog.Default()
	}
	q := workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[string](),
		workqueue.TypedRateLimitingQueueConfig[string]{Name: name})
	return &Loop{name: name, queue: q, reconcile: reconcile, log: log.With("controller", name)}
}

// Add enqueues a key.
func (l *Loop) Add(key string) { l.queue.Add(key) }

// Enqueue is an informer handler: it enqueues the object's key.
func (l *Loop) Enqueue(obj any) {
	key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj)
	if err != nil {
		l.log.Error("Failed to key object", "err", err)
		return
	}
	l.queue.Add(key)
}

// Handler enqueues on add, update and delete.
func (l *Loop) Handler() cache.ResourceEventHandler {
	return cache.ResourceEventHandlerFuncs{
		AddFunc:    l.Enqueue,
		UpdateFunc: func(_, obj any) { l.Enqueue(obj) },
		DeleteFunc: l.Enqueue,
	}
}

// Run runs workers until ctx ends, then shuts the queue down.
func (l *Loop) Run(ctx context.Context, workers int) {
	defer l.queue.ShutDown()
	for i := 0; i < workers; i++ {
		go func() {
			for l.next(ctx) {
			}
		}()
	}
	<-ctx.Done()
}

func (l *Loop) next(ctx context.Context) bool {
	key, quit := l.queue.Get()
	if quit {
		return false
	}
	defer l.queue.Done(key)
	after, err := l.safeReconcile(ctx, key)
	switch {
	case err != nil:
		l.log.Error("Failed to reconcile", "key", key, "err", err, "retries", l.queue.NumRequeues(key))
		l.queue.AddRateLimited(key)
	case after > 0:
		l.queue.Forget(key)
		l.queue.AddAfter(key, after)
	default:
		l.queue.Forget(key)
	}
	return true
}

func (l *Loop) safeReconcile(ctx context.Context, key string) (after time.Duration, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v\n%s", r, debug.Stack())
		}
	}()
	return l.reconcile(ctx, key)
}
