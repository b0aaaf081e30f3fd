package replicaset

import (
	"context"
	"log/slog"
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

// Config of the ReplicaSet controller.
type Config struct {
	Client kubernetes.Interface
	// Informers, when set, is the factory shared with the other
	// controllers; nil makes one of the controller's own.
	Informers informers.SharedInformerFactory
	Log       *slog.Logger
	// Now is the clock for availability (minReadySeconds); nil is time.Now.
	Now func() time.Time
}

// Controller is the ReplicaSet controller.
type Controller struct {
	client   kubernetes.Interface
	log      *slog.Logger
	now      func() time.Time
	loop     *loop.Loop
	factory  informers.SharedInformerFactory
	rsList   appslisters.ReplicaSetLister
	podList  corelisters.PodLister
	synced   []cache.InformerSynced
	expect   *controllerutil.Expectations
	recorder *controllerutil.Recorder
}

// gvk of the owner reference put on pods.
var gvk = appsv1.SchemeGroupVersion.WithKind("ReplicaSet")

// burstReplicas caps the pods created or deleted in one sync.
const burstReplicas = 500

// New wires the controller to ReplicaSet and Pod informers.
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
		client: cfg.Client, log: cfg.Log.With("controller", "replicaset"), now: cfg.Now,
		factory:  cfg.Informers,
		expect:   controllerutil.NewExpectations(cfg.Now),
		recorder: controllerutil.NewRecorder(cfg.Client, "replicaset-controller"),
	}
	c.loop = loop.New("replicaset", c.reconcile, cfg.Log)
	rs := c.factory.Apps().V1().ReplicaSets()
	pods := c.factory.Core().V1().Pods()
	c.rsList, c.podList = rs.Lister(), pods.Lister()
	c.synced = []cache.InformerSynced{rs.Informer().HasSynced, pods.Informer().HasSynced}
	_, _ = rs.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.loop.Enqueue,
		UpdateFunc: func(_, obj any) { c.loop.Enqueue(obj) },
		DeleteFunc: func(obj any) {
			if key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj); err == nil {
				c.expect.Delete(key)
			}
			c.loop.Enqueue(obj)
		},
	})
	_, _ = pods.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: c.addPod, UpdateFunc: c.updatePod, DeleteFunc: c.deletePod,
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

// ownerOf returns the ReplicaSet a controller reference points to, if it
// is still the same object.
func (c *Controller) ownerOf(ns string, ref *metav1.OwnerReference) *appsv1.ReplicaSet {
	if ref == nil || ref.Kind != gvk.Kind || ref.APIVersion != gvk.GroupVersion().String() {
		return nil
	}
	rs, err := c.rsList.ReplicaSets(ns).Get(ref.Name)
	if err != nil || rs.UID != ref.UID {
		return nil
	}
	return rs
}

// matching returns the ReplicaSets whose selector matches an orphan pod.
func (c *Controller) matching(pod *corev1.Pod) []*appsv1.ReplicaSet {
	all, err := c.rsList.ReplicaSets(pod.Namespace).List(labels.Everything())
	if err != nil {
		return nil
	}
	return controllerutil.Matching(all, func(rs *appsv1.ReplicaSet) *metav1.LabelSelector { return rs.Spec.Selector }, pod.Labels)
}

func (c *Controller) addPod(obj any) {
	pod := obj.(*corev1.Pod)
	if pod.DeletionTimestamp != nil {
		c.deletePod(pod) // seen first while being deleted (e.g. after a restart)
		return
	}
	if ref := metav1.GetControllerOfNoCopy(pod); ref != nil {
		if rs := c.ownerOf(pod.Namespace, ref); rs != nil {
			key := controllerutil.ObjectKey(rs)
			c.expect.CreationObserved(key)
			c.loop.Add(key)
		}
		return
	}
	for _, rs := range c.matching(pod) {
		c.loop.Enqueue(rs)
	}
}

func (c *Controller) updatePod(oldObj, newObj any) {
	old, cur := oldObj.(*corev1.Pod), newObj.(*corev1.Pod)
	if old.ResourceVersion == cur.ResourceVersion {
		return
	}
	labelsChanged := !labels.Equals(old.Labels, cur.Labels)
	if cur.DeletionTimestamp != nil {
		c.deletePod(cur)
		if labelsChanged {
			c.deletePod(old)
		}
		return
	}
	curRef, oldRef := metav1.GetControllerOfNoCopy(cur), metav1.GetControllerOfNoCopy(old)
	refChanged := (curRef == nil) != (oldRef == nil) || (curRef != nil && curRef.UID != oldRef.UID)
	if refChanged && oldRef != nil {
		if rs := c.ownerOf(old.Namespace, oldRef); rs != nil {
			c.loop.Enqueue(rs)
		}
	}
	if curRef != nil {
		if rs := c.ownerOf(cur.Namespace, curRef); rs != nil {
			c.loop.Enqueue(rs)
		}
		return
	}
	if labelsChanged || refChanged {
		for _, rs := range c.matching(cur) {
			c.loop.Enqueue(rs)
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
	rs := c.ownerOf(pod.Namespace, metav1.GetControllerOfNoCopy(pod))
	if rs == nil {
		return
	}
	key := controllerutil.ObjectKey(rs)
	c.expect.DeletionObserved(key, controllerutil.ObjectKey(pod))
	c.loop.Add(key)
}
