package daemonset

import (
	"context"
	"log/slog"
	"reflect"
	"time"

	"github.com/minidev/mini/cluster/controller/controllerutil"
	"github.com/minidev/mini/cluster/controller/loop"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	appslisters "k8s.io/client-go/listers/apps/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
)

// Config of the DaemonSet controller.
type Config struct {
	Client kubernetes.Interface
	// Informers, when set, is the factory shared with the other
	// controllers; nil makes one of the controller's own.
	Informers informers.SharedInformerFactory
	Log       *slog.Logger
	// Now is the clock for availability (minReadySeconds); nil is time.Now.
	Now func() time.Time
}

// Controller is the DaemonSet controller.
type Controller struct {
	client   kubernetes.Interface
	log      *slog.Logger
	now      func() time.Time
	loop     *loop.Loop
	factory  informers.SharedInformerFactory
	dsList   appslisters.DaemonSetLister
	podList  corelisters.PodLister
	nodeList corelisters.NodeLister
	revList  appslisters.ControllerRevisionLister
	synced   []cache.InformerSynced
	// expect counts creations and expectDel deletions not yet seen: a
	// stale cache must not delete a second old pod in a rolling update.
	expect, expectDel *controllerutil.Expectations
	recorder          *controllerutil.Recorder
}

var gvk = appsv1.SchemeGroupVersion.WithKind("DaemonSet")

// New wires the controller to DaemonSet, Pod, Node and ControllerRevision
// informers.
func New(cfg Config) *Controller {
	if cfg.Informers == nil {
		cfg.Informers = informers.NewSharedInformerFactory(cfg.Client, 0)
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	c := &Controller{
		client: cfg.Client, log: cfg.Log.With("controller", "daemonset"), now: cfg.Now,
		factory:   cfg.Informers,
		expect:    controllerutil.NewExpectations(cfg.Now),
		expectDel: controllerutil.NewExpectations(cfg.Now),
		recorder:  controllerutil.NewRecorder(cfg.Client, "daemonset-controller"),
	}
	c.loop = loop.New("daemonset", c.reconcile, cfg.Log)
	ds := c.factory.Apps().V1().DaemonSets()
	pods := c.factory.Core().V1().Pods()
	nodes := c.factory.Core().V1().Nodes()
	revs := c.factory.Apps().V1().ControllerRevisions()
	c.dsList, c.podList, c.nodeList, c.revList = ds.Lister(), pods.Lister(), nodes.Lister(), revs.Lister()
	c.synced = []cache.InformerSynced{ds.Informer().HasSynced, pods.Informer().HasSynced, nodes.Informer().HasSynced, revs.Informer().HasSynced}
	_, _ = ds.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.loop.Enqueue,
		UpdateFunc: func(_, obj any) { c.loop.Enqueue(obj) },
		DeleteFunc: func(obj any) {
			if key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj); err == nil {
				c.expect.Delete(key)
				c.expectDel.Delete(key)
			}
			c.loop.Enqueue(obj)
		},
	})
	_, _ = pods.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: c.addPod, UpdateFunc: c.updatePod, DeleteFunc: c.deletePod,
	})
	_, _ = nodes.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(any) { c.enqueueAll() },
		UpdateFunc: func(oldObj, newObj any) {
			o, n := oldObj.(*corev1.Node), newObj.(*corev1.Node)
			if !reflect.DeepEqual(o.Labels, n.Labels) || !reflect.DeepEqual(o.Spec.Taints, n.Spec.Taints) || o.Spec.Unschedulable != n.Spec.Unschedulable {
				c.enqueueAll()
			}
		},
		DeleteFunc: func(any) { c.enqueueAll() },
	})
	return c
}

// Run runs until ctx ends.
func (c *Controller) Run(ctx context.Context) {
	c.recorder.Start(ctx)
	c.factory.Start(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), c.synced...) {
		return
	}
	c.loop.Run(ctx, 2)
}

func (c *Controller) enqueueAll() {
	all, err := c.dsList.List(labels.Everything())
	if err != nil {
		return
	}
	for _, ds := range all {
		c.loop.Enqueue(ds)
	}
}

func (c *Controller) ownerOf(ns string, ref *metav1.OwnerReference) *appsv1.DaemonSet {
	if ref == nil || ref.Kind != gvk.Kind || ref.APIVersion != gvk.GroupVersion().String() {
		return nil
	}
	ds, err := c.dsList.DaemonSets(ns).Get(ref.Name)
	if err != nil || ds.UID != ref.UID {
		return nil
	}
	return ds
}

func (c *Controller) matching(pod *corev1.Pod) []*appsv1.DaemonSet {
	all, err := c.dsList.DaemonSets(pod.Namespace).List(labels.Everything())
	if err != nil {
		return nil
	}
	return controllerutil.Matching(all, func(d *appsv1.DaemonSet) *metav1.LabelSelector { return d.Spec.Selector }, pod.Labels)
}

func (c *Controller) addPod(obj any) {
	pod := obj.(*corev1.Pod)
	if pod.DeletionTimestamp != nil {
		c.deletePod(pod)
		return
	}
	if ref := metav1.GetControllerOfNoCopy(pod); ref != nil {
		if ds := c.ownerOf(pod.Namespace, ref); ds != nil {
			key := controllerutil.ObjectKey(ds)
			c.expect.CreationObserved(key)
			c.loop.Add(key)
		}
		return
	}
	for _, ds := range c.matching(pod) {
		c.loop.Enqueue(ds)
	}
}

func (c *Controller) updatePod(oldObj, newObj any) {
	old, cur := oldObj.(*corev1.Pod), newObj.(*corev1.Pod)
	if old.ResourceVersion == cur.ResourceVersion {
		return
	}
	if cur.DeletionTimestamp != nil {
		c.deletePod(cur)
	}
	oldRef, curRef := metav1.GetControllerOfNoCopy(old), metav1.GetControllerOfNoCopy(cur)
	if oldRef != nil && (curRef == nil || curRef.UID != oldRef.UID) {
		if ds := c.ownerOf(old.Namespace, oldRef); ds != nil {
			c.loop.Enqueue(ds)
		}
	}
	if curRef != nil {
		if ds := c.ownerOf(cur.Namespace, curRef); ds != nil {
			c.loop.Enqueue(ds)
		}
		return
	}
	if !labels.Equals(old.Labels, cur.Labels) || oldRef != nil {
		for _, ds := range c.matching(cur) {
			c.loop.Enqueue(ds)
		}
	}
}

func (c *Controller) deletePod(obj any) {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = t.Obj
	}
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return
	}
	if ds := c.ownerOf(pod.Namespace, metav1.GetControllerOfNoCopy(pod)); ds != nil {
		key := controllerutil.ObjectKey(ds)
		c.expectDel.DeletionObserved(key, controllerutil.ObjectKey(pod))
		c.loop.Add(key)
	}
}
