package scheduler

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/minidev/mini/cluster/controller/loop"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
)

// Name is the schedulerName this scheduler serves and the source of its
// Events.
const Name = corev1.DefaultSchedulerName

// Config of the scheduler.
type Config struct {
	Client kubernetes.Interface
	Log    *slog.Logger
	// Now stamps conditions and Events; nil means time.Now.
	Now func() time.Time
	// RetryPeriod is how often unschedulable pods are tried again even when
	// nothing changed; 0 means 10 s.
	RetryPeriod time.Duration
}

// Scheduler binds pending pods to nodes.
type Scheduler struct {
	cfg     Config
	log     *slog.Logger
	loop    *loop.Loop
	factory informers.SharedInformerFactory
	pods    corelisters.PodLister
	nodes   corelisters.NodeLister
	nss     corelisters.NamespaceLister

	mu            sync.Mutex
	assumed       map[types.UID]*corev1.Pod // bound here, not yet seen bound by the informer
	unschedulable map[string]bool           // keys of pods that fit nowhere last time
	failures      map[types.UID]*corev1.Event
}

// New wires the scheduler to pod, node and namespace informers; Run starts it.
func New(cfg Config) *Scheduler {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.RetryPeriod == 0 {
		cfg.RetryPeriod = 10 * time.Second
	}
	s := &Scheduler{cfg: cfg, log: cfg.Log.With("controller", "scheduler"),
		factory:       informers.NewSharedInformerFactory(cfg.Client, 0),
		assumed:       map[types.UID]*corev1.Pod{},
		unschedulable: map[string]bool{},
		failures:      map[types.UID]*corev1.Event{},
	}
	s.loop = loop.New("scheduler", s.scheduleOne, cfg.Log)
	pods, nodes, nss := s.factory.Core().V1().Pods(), s.factory.Core().V1().Nodes(), s.factory.Core().V1().Namespaces()
	s.pods, s.nodes, s.nss = pods.Lister(), nodes.Lister(), nss.Lister()
	_, _ = pods.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { s.podChanged(nil, obj.(*corev1.Pod)) },
		UpdateFunc: func(old, obj any) { s.podChanged(old.(*corev1.Pod), obj.(*corev1.Pod)) },
		DeleteFunc: s.podDeleted,
	})
	_, _ = nodes.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(any) { s.retryUnschedulable() },
		UpdateFunc: func(old, obj any) {
			if nodeChanged(old.(*corev1.Node), obj.(*corev1.Node)) {
				s.retryUnschedulable()
			}
		},
	})
	_ = nss.Informer() // for namespaceSelector in pod (anti-)affinity terms
	return s
}

// Run schedules until ctx ends.
func (s *Scheduler) Run(ctx context.Context) {
	s.factory.Start(ctx.Done())
	s.factory.WaitForCacheSync(ctx.Done())
	go func() {
		t := time.NewTicker(s.cfg.RetryPeriod)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				s.retryUnschedulable()
			}
		}
	}()
	s.loop.Run(ctx, 1) // one worker: one pod at a time, so no two overcommit a node
}

// responsible says whether the pod is this scheduler's to place.
func responsible(p *corev1.Pod) bool {
	return p.Spec.NodeName == "" && (p.Spec.SchedulerName == "" || p.Spec.SchedulerName == Name) &&
		p.DeletionTimestamp == nil && !terminal(p) && len(p.Spec.SchedulingGates) == 0
}

func (s *Scheduler) podChanged(old, p *corev1.Pod) {
	if p.Spec.NodeName != "" {
		s.mu.Lock()
		delete(s.assumed, p.UID) // the informer caught up
		s.mu.Unlock()
	}
	if responsible(p) && (old == nil || !responsible(old) || specChanged(old, p)) {
		s.loop.Enqueue(p)
	}
	if old != nil && old.Spec.NodeName != "" && !terminal(old) && terminal(p) {
		s.retryUnschedulable() // its resources are free again
	}
}

func (s *Scheduler) podDeleted(obj any) {
	if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tomb.Obj
	}
	p, ok := obj.(*corev1.Pod)
	if !ok {
		return
	}
	key, _ := cache.MetaNamespaceKeyFunc(p)
	s.mu.Lock()
	delete(s.assumed, p.UID)
	delete(s.unschedulable, key)
	delete(s.failures, p.UID)
	s.mu.Unlock()
	s.retryUnschedulable()
}

// specChanged ignores status and resourceVersion, so the scheduler's own
// status writes don't send a pod around again (kube-scheduler's isPodUpdated).
func specChanged(old, p *corev1.Pod) bool {
	strip := func(p *corev1.Pod) *corev1.Pod {
		c := p.DeepCopy()
		c.ResourceVersion, c.Generation, c.ManagedFields, c.Status = "", 0, nil, corev1.PodStatus{}
		return c
	}
	return !equality.Semantic.DeepEqual(strip(old), strip(p))
}

// nodeChanged says whether an update can make a pod fit: labels, taints,
// cordon, allocatable or readiness (not heartbeats).
func nodeChanged(old, n *corev1.Node) bool {
	return !equality.Semantic.DeepEqual(old.Labels, n.Labels) || !equality.Semantic.DeepEqual(old.Spec.Taints, n.Spec.Taints) ||
		old.Spec.Unschedulable != n.Spec.Unschedulable || !equality.Semantic.DeepEqual(old.Status.Allocatable, n.Status.Allocatable) ||
		nodeReady(old) != nodeReady(n)
}

func (s *Scheduler) retryUnschedulable() {
	s.mu.Lock()
	keys := make([]string, 0, len(s.unschedulable))
	for k := range s.unschedulable {
		keys = append(keys, k)
	}
	s.mu.Unlock()
	for _, k := range keys {
		s.loop.Add(k)
	}
}

func (s *Scheduler) setUnschedulable(key string, yes bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if yes {
		s.unschedulable[key] = true
	} else {
		delete(s.unschedulable, key)
	}
}

// scheduleOne is the reconciler: it places the pod named by key.
func (s *Scheduler) scheduleOne(ctx context.Context, key string) (time.Duration, error) {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return 0, nil
	}
	pod, err := s.pods.Pods(ns).Get(name)
	if apierrors.IsNotFound(err) || (err == nil && !responsible(pod)) {
		s.setUnschedulable(key, false)
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	s.mu.Lock()
	_, isAssumed := s.assumed[pod.UID]
	s.mu.Unlock()
	if isAssumed {
		return 0, nil
	}
	node, msg, err := s.place(pod)
	if err != nil {
		return 0, err
	}
	if node == "" {
		s.setUnschedulable(key, true)
		s.log.Info("Pod is unschedulable", "pod", key, "reason", msg)
		return 0, s.reportUnschedulable(ctx, pod, msg)
	}
	return 0, s.bind(ctx, pod, node)
}

// place runs a scheduling cycle over the informers' view plus assumed pods.
func (s *Scheduler) place(pod *corev1.Pod) (node, msg string, err error) {
	nodes, err := s.nodes.List(labels.Everything())
	if err != nil {
		return "", "", err
	}
	pods, err := s.pods.List(labels.Everything())
	if err != nil {
		return "", "", err
	}
	s.mu.Lock()
	for i, p := range pods {
		if a := s.assumed[p.UID]; a != nil && p.Spec.NodeName == "" {
			pods[i] = a
		}
	}
	s.mu.Unlock()
	node, msg = newCycle(pod, snapshot(nodes, pods), s.namespaceLabels).schedule()
	return node, msg, nil
}

func (s *Scheduler) namespaceLabels(ns string) labels.Set {
	n, err := s.nss.Get(ns)
	if err != nil {
		return nil
	}
	return n.Labels
}

// bind assumes the pod on node, then posts the Binding; on failure the
// assumption is dropped and the pod retried with back-off.
func (s *Scheduler) bind(ctx context.Context, pod *corev1.Pod, node string) error {
	key, _ := cache.MetaNamespaceKeyFunc(pod)
	assumed := pod.DeepCopy()
	assumed.Spec.NodeName = node
	s.mu.Lock()
	s.assumed[pod.UID] = assumed
	s.mu.Unlock()
	err := s.cfg.Client.CoreV1().Pods(pod.Namespace).Bind(ctx, &corev1.Binding{
		ObjectMeta: metav1.ObjectMeta{Name: pod.Name, Namespace: pod.Namespace, UID: pod.UID},
		Target:     corev1.ObjectReference{Kind: "Node", Name: node},
	}, metav1.CreateOptions{})
	if err != nil {
		s.mu.Lock()
		delete(s.assumed, pod.UID)
		s.mu.Unlock()
		if apierrors.IsNotFound(err) || (apierrors.IsConflict(err) && strings.Contains(err.Error(), "already assigned")) {
			return nil // gone, or bound by someone else: the informer will tell
		}
		return fmt.Errorf("bind pod %s to node %s: %w", key, node, err)
	}
	s.setUnschedulable(key, false)
	s.mu.Lock()
	delete(s.failures, pod.UID)
	s.mu.Unlock()
	s.log.Info("Bound pod", "pod", key, "node", node)
	s.event(ctx, pod, corev1.EventTypeNormal, "Scheduled", fmt.Sprintf("Successfully assigned %s/%s to %s", pod.Namespace, pod.Name, node))
	return nil
}
