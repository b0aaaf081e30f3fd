package scheduler

import (
	"context"
	"errors"
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
	storagelisters "k8s.io/client-go/listers/storage/v1"
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
	// Informers, when set, is the factory shared with other controllers;
	// nil makes one of the scheduler's own.
	Informers informers.SharedInformerFactory
	// Workers is how many pods are in flight at once; 0 means 16. Cycles
	// run one at a time (no two pods overcommit a node); the Bindings, API
	// calls, run in parallel, as kube-scheduler binds asynchronously.
	Workers int
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
	pvcs    corelisters.PersistentVolumeClaimLister
	pvs     corelisters.PersistentVolumeLister
	classes storagelisters.StorageClassLister

	cache *podCache

	mu            sync.Mutex
	unschedulable map[string]bool // keys of pods that fit nowhere last time
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
	if cfg.Workers == 0 {
		cfg.Workers = 16
	}
	if cfg.Informers == nil {
		cfg.Informers = informers.NewSharedInformerFactory(cfg.Client, 0)
	}
	s := &Scheduler{cfg: cfg, log: cfg.Log.With("controller", "scheduler"),
		factory:       cfg.Informers,
		cache:         newPodCache(),
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
		AddFunc: func(obj any) {
			s.cache.setNode(obj.(*corev1.Node))
			s.retryUnschedulable()
		},
		UpdateFunc: func(old, obj any) {
			s.cache.setNode(obj.(*corev1.Node))
			if nodeChanged(old.(*corev1.Node), obj.(*corev1.Node)) {
				s.retryUnschedulable()
			}
		},
		DeleteFunc: func(obj any) {
			if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = tomb.Obj
			}
			if n, ok := obj.(*corev1.Node); ok {
				s.cache.deleteNode(n.Name)
			}
		},
	})
	_ = nss.Informer() // for namespaceSelector in pod (anti-)affinity terms
	s.watchVolumes()
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
	s.loop.Run(ctx, s.cfg.Workers)
}

// responsible says whether the pod is this scheduler's to place.
func responsible(p *corev1.Pod) bool {
	return p.Spec.NodeName == "" && (p.Spec.SchedulerName == "" || p.Spec.SchedulerName == Name) &&
		p.DeletionTimestamp == nil && !terminal(p) && len(p.Spec.SchedulingGates) == 0
}

func (s *Scheduler) podChanged(old, p *corev1.Pod) {
	s.cache.updatePod(p) // an assumed pod seen bound: the informer caught up
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
	s.cache.deletePod(p.UID)
	s.mu.Lock()
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
	if s.cache.isAssumed(pod.UID) {
		return 0, nil
	}
	node, msg, err := s.place(ctx, pod)
	if errors.Is(err, errWaitForVolumes) {
		return volumeWait, nil // its claims are being bound on node: place it once they are
	}
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

// place runs a scheduling cycle over the cache (the informers' view plus
// assumed pods) and assumes the pod on the node chosen, so the next cycle
// counts it; the caller binds it. When the pod's WaitForFirstConsumer
// claims are not bound yet it binds them on the chosen node instead and
// returns errWaitForVolumes: the pod is placed in a later cycle, once its
// claims are bound.
func (s *Scheduler) place(ctx context.Context, pod *corev1.Pod) (node, msg string, err error) {
	st, why := preFilterVolumes(pod, s.volumeLookup())
	s.cache.mu.Lock()
	c := newCycle(pod, s.cache.nodesLocked(), s.namespaceLabels)
	c.start = s.cache.nextStart
	if why != "" {
		s.cache.mu.Unlock()
		return "", fmt.Sprintf("0/%d nodes are available: %s.", len(c.nodes), why), nil
	}
	if len(st.bound)+len(st.delayed) > 0 {
		c.volumes = st
	}
	node, msg = c.schedule()
	if len(c.nodes) > 0 {
		s.cache.nextStart = (c.start + c.processed) % len(c.nodes)
	}
	var chosen *corev1.Node
	for _, ni := range c.nodes {
		if node != "" && ni.node.Name == node {
			chosen = ni.node
		}
	}
	delayed := node != "" && c.volumes != nil && len(c.volumes.delayed) > 0
	if node != "" && !delayed {
		s.cache.assumeLocked(pod, node)
	}
	s.cache.mu.Unlock()
	if delayed {
		return node, msg, s.bindVolumes(ctx, pod, chosen, c.volumes.actions(chosen))
	}
	return node, msg, nil
}

func (s *Scheduler) namespaceLabels(ns string) labels.Set {
	n, err := s.nss.Get(ns)
	if err != nil {
		return nil
	}
	return n.Labels
}

// bind posts the Binding of a pod assumed on node; on failure the
// assumption is dropped and the pod retried with back-off.
func (s *Scheduler) bind(ctx context.Context, pod *corev1.Pod, node string) error {
	key, _ := cache.MetaNamespaceKeyFunc(pod)
	err := s.cfg.Client.CoreV1().Pods(pod.Namespace).Bind(ctx, &corev1.Binding{
		ObjectMeta: metav1.ObjectMeta{Name: pod.Name, Namespace: pod.Namespace, UID: pod.UID},
		Target:     corev1.ObjectReference{Kind: "Node", Name: node},
	}, metav1.CreateOptions{})
	if err != nil {
		s.cache.forget(pod.UID)
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
