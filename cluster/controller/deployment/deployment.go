package deployment

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

// Config of the Deployment controller.
type Config struct {
	Client kubernetes.Interface
	// Informers, when set, is the factory shared with the other
	// controllers; nil makes one of the controller's own.
	Informers informers.SharedInformerFactory
	Log       *slog.Logger
	// Now is the clock for conditions and the progress deadline; nil is
	// time.Now.
	Now func() time.Time
}

// Controller is the Deployment controller.
type Controller struct {
	client   kubernetes.Interface
	log      *slog.Logger
	now      func() time.Time
	loop     *loop.Loop
	factory  informers.SharedInformerFactory
	dList    appslisters.DeploymentLister
	rsList   appslisters.ReplicaSetLister
	podList  corelisters.PodLister
	synced   []cache.InformerSynced
	recorder *controllerutil.Recorder
}

var (
	deployGVK = appsv1.SchemeGroupVersion.WithKind("Deployment")
	rsGVK     = appsv1.SchemeGroupVersion.WithKind("ReplicaSet")
)

// New wires the controller to Deployment, ReplicaSet and Pod informers.
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
		client: cfg.Client, log: cfg.Log.With("controller", "deployment"), now: cfg.Now,
		factory:  cfg.Informers,
		recorder: controllerutil.NewRecorder(cfg.Client, "deployment-controller"),
	}
	c.loop = loop.New("deployment", c.reconcile, cfg.Log)
	d := c.factory.Apps().V1().Deployments()
	rs := c.factory.Apps().V1().ReplicaSets()
	pods := c.factory.Core().V1().Pods()
	c.dList, c.rsList, c.podList = d.Lister(), rs.Lister(), pods.Lister()
	c.synced = []cache.InformerSynced{d.Informer().HasSynced, rs.Informer().HasSynced, pods.Informer().HasSynced}
	_, _ = d.Informer().AddEventHandler(c.loop.Handler())
	_, _ = rs.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: c.addRS, UpdateFunc: c.updateRS, DeleteFunc: c.deleteRS,
	})
	_, _ = pods.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{DeleteFunc: c.deletePod})
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

// ownerOf returns the Deployment a controller reference points to, if it
// is still the same object.
func (c *Controller) ownerOf(ns string, ref *metav1.OwnerReference) *appsv1.Deployment {
	if ref == nil || ref.Kind != deployGVK.Kind || ref.APIVersion != deployGVK.GroupVersion().String() {
		return nil
	}
	d, err := c.dList.Deployments(ns).Get(ref.Name)
	if err != nil || d.UID != ref.UID {
		return nil
	}
	return d
}

// matching returns the Deployments whose selector matches an orphan
// ReplicaSet.
func (c *Controller) matching(rs *appsv1.ReplicaSet) []*appsv1.Deployment {
	all, err := c.dList.Deployments(rs.Namespace).List(labels.Everything())
	if err != nil {
		return nil
	}
	return controllerutil.Matching(all, func(d *appsv1.Deployment) *metav1.LabelSelector { return d.Spec.Selector }, rs.Labels)
}

func (c *Controller) addRS(obj any) {
	rs := obj.(*appsv1.ReplicaSet)
	if rs.DeletionTimestamp != nil {
		c.deleteRS(rs)
		return
	}
	if ref := metav1.GetControllerOfNoCopy(rs); ref != nil {
		if d := c.ownerOf(rs.Namespace, ref); d != nil {
			c.loop.Enqueue(d)
		}
		return
	}
	for _, d := range c.matching(rs) {
		c.loop.Enqueue(d)
	}
}

func (c *Controller) updateRS(oldObj, newObj any) {
	old, cur := oldObj.(*appsv1.ReplicaSet), newObj.(*appsv1.ReplicaSet)
	if old.ResourceVersion == cur.ResourceVersion {
		return
	}
	curRef, oldRef := metav1.GetControllerOfNoCopy(cur), metav1.GetControllerOfNoCopy(old)
	refChanged := (curRef == nil) != (oldRef == nil) || (curRef != nil && curRef.UID != oldRef.UID)
	if refChanged && oldRef != nil {
		if d := c.ownerOf(old.Namespace, oldRef); d != nil {
			c.loop.Enqueue(d)
		}
	}
	if curRef != nil {
		if d := c.ownerOf(cur.Namespace, curRef); d != nil {
			c.loop.Enqueue(d)
		}
		return
	}
	if refChanged || !labels.Equals(old.Labels, cur.Labels) {
		for _, d := range c.matching(cur) {
			c.loop.Enqueue(d)
		}
	}
}

func (c *Controller) deleteRS(obj any) {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = t.Obj
	}
	rs, ok := obj.(*appsv1.ReplicaSet)
	if !ok {
		return
	}
	if d := c.ownerOf(rs.Namespace, metav1.GetControllerOfNoCopy(rs)); d != nil {
		c.loop.Enqueue(d)
	}
}

// deletePod wakes a Recreate Deployment waiting for its old pods to go.
func (c *Controller) deletePod(obj any) {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = t.Obj
	}
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return
	}
	ref := metav1.GetControllerOfNoCopy(pod)
	if ref == nil || ref.Kind != rsGVK.Kind {
		return
	}
	rs, err := c.rsList.ReplicaSets(pod.Namespace).Get(ref.Name)
	if err != nil || rs.UID != ref.UID {
		return
	}
	if d := c.ownerOf(rs.Namespace, metav1.GetControllerOfNoCopy(rs)); d != nil && d.Spec.Strategy.Type == appsv1.RecreateDeploymentStrategyType {
		c.loop.Enqueue(d)
	}
}
