package job

import (
	"context"
	"log/slog"
	"time"

	"github.com/minidev/mini/cluster/controller/controllerutil"
	"github.com/minidev/mini/cluster/controller/loop"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	batchlisters "k8s.io/client-go/listers/batch/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
)

// Config of the Job controller.
type Config struct {
	Client kubernetes.Interface
	// Informers, when set, is the factory shared with the other
	// controllers; nil makes one of the controller's own.
	Informers informers.SharedInformerFactory
	Log       *slog.Logger
	// Now is the clock (deadlines, back-off, TTL); nil is time.Now.
	Now func() time.Time
	// PodBackoff is the first delay before replacing a failed pod,
	// doubled per failure up to 6 min; 0 means 10 s, as Kubernetes.
	PodBackoff time.Duration
}

// Controller is the Job controller.
type Controller struct {
	client     kubernetes.Interface
	log        *slog.Logger
	now        func() time.Time
	podBackoff time.Duration
	loop       *loop.Loop
	factory    informers.SharedInformerFactory
	jobList    batchlisters.JobLister
	podList    corelisters.PodLister
	synced     []cache.InformerSynced
	expect     *controllerutil.Expectations
	recorder   *controllerutil.Recorder
}

// gvk of the owner reference put on pods.
var gvk = batchv1.SchemeGroupVersion.WithKind("Job")

// New wires the controller to Job and Pod informers.
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
	if cfg.PodBackoff == 0 {
		cfg.PodBackoff = 10 * time.Second
	}
	c := &Controller{
		client: cfg.Client, log: cfg.Log.With("controller", "job"), now: cfg.Now, podBackoff: cfg.PodBackoff,
		factory:  cfg.Informers,
		expect:   controllerutil.NewExpectations(cfg.Now),
		recorder: controllerutil.NewRecorder(cfg.Client, "job-controller"),
	}
	c.loop = loop.New("job", c.reconcile, cfg.Log)
	jobs := c.factory.Batch().V1().Jobs()
	pods := c.factory.Core().V1().Pods()
	c.jobList, c.podList = jobs.Lister(), pods.Lister()
	c.synced = []cache.InformerSynced{jobs.Informer().HasSynced, pods.Informer().HasSynced}
	_, _ = jobs.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.loop.Enqueue,
		UpdateFunc: func(_, obj any) { c.loop.Enqueue(obj) },
		DeleteFunc: func(obj any) {
			if key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj); err == nil {
				c.expect.Delete(key)
			}
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

// ownerOf returns the Job a controller reference points to, if it is
// still the same object.
func (c *Controller) ownerOf(ns string, ref *metav1.OwnerReference) *batchv1.Job {
	if ref == nil || ref.Kind != gvk.Kind || ref.APIVersion != gvk.GroupVersion().String() {
		return nil
	}
	j, err := c.jobList.Jobs(ns).Get(ref.Name)
	if err != nil || j.UID != ref.UID {
		return nil
	}
	return j
}

func (c *Controller) addPod(obj any) {
	pod := obj.(*corev1.Pod)
	if pod.DeletionTimestamp != nil {
		c.deletePod(pod)
		return
	}
	if j := c.ownerOf(pod.Namespace, metav1.GetControllerOfNoCopy(pod)); j != nil {
		key := controllerutil.ObjectKey(j)
		c.expect.CreationObserved(key)
		c.loop.Add(key)
		return
	}
	if metav1.GetControllerOfNoCopy(pod) == nil {
		c.enqueueMatching(pod)
	}
}

func (c *Controller) updatePod(oldObj, newObj any) {
	old, cur := oldObj.(*corev1.Pod), newObj.(*corev1.Pod)
	if old.ResourceVersion == cur.ResourceVersion {
		return
	}
	if cur.DeletionTimestamp != nil {
		c.deletePod(cur)
		return
	}
	for _, p := range []*corev1.Pod{old, cur} {
		if j := c.ownerOf(p.Namespace, metav1.GetControllerOfNoCopy(p)); j != nil {
			c.loop.Enqueue(j)
		}
	}
	if metav1.GetControllerOfNoCopy(cur) == nil && !labels.Equals(old.Labels, cur.Labels) {
		c.enqueueMatching(cur)
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
	j := c.ownerOf(pod.Namespace, metav1.GetControllerOfNoCopy(pod))
	if j == nil {
		return
	}
	key := controllerutil.ObjectKey(j)
	c.expect.DeletionObserved(key, controllerutil.ObjectKey(pod))
	c.loop.Add(key)
}

// enqueueMatching enqueues the Jobs whose selector matches an orphan pod.
func (c *Controller) enqueueMatching(pod *corev1.Pod) {
	all, err := c.jobList.Jobs(pod.Namespace).List(labels.Everything())
	if err != nil {
		return
	}
	for _, j := range controllerutil.Matching(all, func(j *batchv1.Job) *metav1.LabelSelector { return j.Spec.Selector }, pod.Labels) {
		c.loop.Enqueue(j)
	}
}
