package cronjob

import (
	"context"
	"log/slog"
	"time"

	"github.com/minidev/mini/cluster/controller/controllerutil"
	"github.com/minidev/mini/cluster/controller/loop"
	batchv1 "k8s.io/api/batch/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	batchlisters "k8s.io/client-go/listers/batch/v1"
	"k8s.io/client-go/tools/cache"
)

// Config of the CronJob controller.
type Config struct {
	Client kubernetes.Interface
	// Informers, when set, is the factory shared with the other
	// controllers; nil makes one of the controller's own.
	Informers informers.SharedInformerFactory
	Log       *slog.Logger
	// Now is the clock; nil is time.Now.
	Now func() time.Time
	// Location is the zone of schedules without spec.timeZone; nil is
	// time.Local, the control plane's zone (as kube-controller-manager).
	Location *time.Location
}

// Controller is the CronJob controller.
type Controller struct {
	client   kubernetes.Interface
	log      *slog.Logger
	now      func() time.Time
	loc      *time.Location
	loop     *loop.Loop
	factory  informers.SharedInformerFactory
	cjList   batchlisters.CronJobLister
	jobList  batchlisters.JobLister
	synced   []cache.InformerSynced
	recorder *controllerutil.Recorder
}

var gvk = batchv1.SchemeGroupVersion.WithKind("CronJob")

// New wires the controller to CronJob and Job informers.
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
	if cfg.Location == nil {
		cfg.Location = time.Local
	}
	c := &Controller{
		client: cfg.Client, log: cfg.Log.With("controller", "cronjob"), now: cfg.Now, loc: cfg.Location,
		factory:  cfg.Informers,
		recorder: controllerutil.NewRecorder(cfg.Client, "cronjob-controller"),
	}
	c.loop = loop.New("cronjob", c.reconcile, cfg.Log)
	cjs := c.factory.Batch().V1().CronJobs()
	jobs := c.factory.Batch().V1().Jobs()
	c.cjList, c.jobList = cjs.Lister(), jobs.Lister()
	c.synced = []cache.InformerSynced{cjs.Informer().HasSynced, jobs.Informer().HasSynced}
	_, _ = cjs.Informer().AddEventHandler(c.loop.Handler())
	owner := func(obj any) {
		if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
			obj = t.Obj
		}
		j, ok := obj.(*batchv1.Job)
		if !ok {
			return
		}
		if ref := metav1.GetControllerOfNoCopy(j); ref != nil && ref.Kind == gvk.Kind && ref.APIVersion == gvk.GroupVersion().String() {
			c.loop.Add(j.Namespace + "/" + ref.Name)
		}
	}
	_, _ = jobs.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: owner, UpdateFunc: func(_, obj any) { owner(obj) }, DeleteFunc: owner,
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
