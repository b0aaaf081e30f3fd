package statefulset

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

// Config of the StatefulSet controller.
type Config struct {
	Client kubernetes.Interface
	// Informers, when set, is the factory shared with the other
	// controllers; nil makes one of the controller's own.
	Informers informers.SharedInformerFactory
	Log       *slog.Logger
	// Now is the clock for availability (minReadySeconds); nil is time.Now.
	Now func() time.Time
}

// Controller is the StatefulSet controller.
type Controller struct {
	client   kubernetes.Interface
	log      *slog.Logger
	now      func() time.Time
	loop     *loop.Loop
	factory  informers.SharedInformerFactory
	setList  appslisters.StatefulSetLister
	podList  corelisters.PodLister
	pvcList  corelisters.PersistentVolumeClaimLister
	revList  appslisters.ControllerRevisionLister
	synced   []cache.InformerSynced
	expect   *controllerutil.Expectations
	recorder *controllerutil.Recorder
}

var gvk = appsv1.SchemeGroupVersion.WithKind("StatefulSet")

func newControllerRef(set *appsv1.StatefulSet) *metav1.OwnerReference {
	return controllerutil.NewControllerRef(set, gvk)
}

// New wires the controller to StatefulSet, Pod, PersistentVolumeClaim and
// ControllerRevision informers.
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
		client: cfg.Client, log: cfg.Log.With("controller", "statefulset"), now: cfg.Now,
		factory:  cfg.Informers,
		expect:   controllerutil.NewExpectations(cfg.Now),
		recorder: controllerutil.NewRecorder(cfg.Client, "statefulset-controller"),
	}
	c.loop = loop.New("statefulset", c.reconcile, cfg.Log)
	sets := c.factory.Apps().V1().StatefulSets()
	pods := c.factory.Core().V1().Pods()
	pvcs := c.factory.Core().V1().PersistentVolumeClaims()
	revs := c.factory.Apps().V1().ControllerRevisions()
	c.setList, c.podList, c.pvcList, c.revList = sets.Lister(), pods.Lister(), pvcs.Lister(), revs.Lister()
	c.synced = []cache.InformerSynced{sets.Informer().HasSynced, pods.Informer().HasSynced, pvcs.Informer().HasSynced, revs.Informer().HasSynced}
	_, _ = sets.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
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

// ownerOf returns the StatefulSet a controller reference points to, if it
// is still the same object.
func (c *Controller) ownerOf(ns string, ref *metav1.OwnerReference) *appsv1.StatefulSet {
	if ref == nil || ref.Kind != gvk.Kind || ref.APIVersion != gvk.GroupVersion().String() {
		return nil
	}
	set, err := c.setList.StatefulSets(ns).Get(ref.Name)
	if err != nil || set.UID != ref.UID {
		return nil
	}
	return set
}

// matching returns the StatefulSets that could adopt an orphan pod.
func (c *Controller) matching(pod *corev1.Pod) []*appsv1.StatefulSet {
	all, err := c.setList.StatefulSets(pod.Namespace).List(labels.Everything())
	if err != nil {
		return nil
	}
	return controllerutil.Matching(all, func(s *appsv1.StatefulSet) *metav1.LabelSelector { return s.Spec.Selector }, pod.Labels)
}

func (c *Controller) addPod(obj any) {
	pod := obj.(*corev1.Pod)
	if pod.DeletionTimestamp != nil {
		c.deletePod(pod)
		return
	}
	if ref := metav1.GetControllerOfNoCopy(pod); ref != nil {
		if set := c.ownerOf(pod.Namespace, ref); set != nil {
			key := controllerutil.ObjectKey(set)
			c.expect.CreationObserved(key)
			c.loop.Add(key)
		}
		return
	}
	for _, s := range c.matching(pod) {
		c.loop.Enqueue(s)
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
		if s := c.ownerOf(old.Namespace, oldRef); s != nil {
			c.loop.Enqueue(s)
		}
	}
	if curRef != nil {
		if s := c.ownerOf(cur.Namespace, curRef); s != nil {
			c.loop.Enqueue(s)
		}
		return
	}
	if !labels.Equals(old.Labels, cur.Labels) || oldRef != nil {
		for _, s := range c.matching(cur) {
			c.loop.Enqueue(s)
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
	set := c.ownerOf(pod.Namespace, metav1.GetControllerOfNoCopy(pod))
	if set == nil {
		return
	}
	key := controllerutil.ObjectKey(set)
	c.expect.DeletionObserved(key, controllerutil.ObjectKey(pod))
	c.loop.Add(key)
}
