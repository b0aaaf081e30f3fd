// Package nodelifecycle marks nodes whose agent stopped renewing its Lease
// as not ready, as Kubernetes' node lifecycle controller does: the Ready
// condition goes Unknown ("Kubelet stopped posting node status.") and the
// node gets the node.kubernetes.io/unreachable taints. The agent sets Ready
// again when it comes back; the taints then go. Pods on nodes with NoExecute
// taints are evicted after their tolerations allow (eviction.go).
package nodelifecycle

import (
	"context"
	"log/slog"
	"time"

	"github.com/minidev/mini/cluster/controller/controllerutil"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	coordlisters "k8s.io/client-go/listers/coordination/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
)

// LeaseNamespace holds the node heartbeats.
const LeaseNamespace = corev1.NamespaceNodeLease

// Config of the controller.
type Config struct {
	Client kubernetes.Interface
	// Grace is how long a Lease may go unrenewed; 0 means 40 s.
	Grace time.Duration
	// Period is how often nodes are checked; 0 means 2 s.
	Period time.Duration
	Now    func() time.Time
	Log    *slog.Logger
}

// Controller watches Nodes and Leases through informers.
type Controller struct {
	cfg      Config
	nodes    corelisters.NodeLister
	pods     corelisters.PodLister
	recorder *controllerutil.Recorder
	leases   coordlisters.LeaseLister
	start    func(stop <-chan struct{})
	synced   func(stop <-chan struct{}) bool
}

// New returns a controller; Run starts it.
func New(cfg Config) *Controller {
	if cfg.Grace == 0 {
		cfg.Grace = 40 * time.Second
	}
	if cfg.Period == 0 {
		cfg.Period = 2 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	all := informers.NewSharedInformerFactory(cfg.Client, 0)
	leaseNS := informers.NewSharedInformerFactoryWithOptions(cfg.Client, 0, informers.WithNamespace(LeaseNamespace))
	c := &Controller{cfg: cfg, nodes: all.Core().V1().Nodes().Lister(), leases: leaseNS.Coordination().V1().Leases().Lister(),
		pods: all.Core().V1().Pods().Lister(), recorder: controllerutil.NewRecorder(cfg.Client, "taint-eviction-controller")}
	c.start = func(stop <-chan struct{}) { all.Start(stop); leaseNS.Start(stop) }
	c.synced = func(stop <-chan struct{}) bool {
		for _, ok := range all.WaitForCacheSync(stop) {
			if !ok {
				return false
			}
		}
		for _, ok := range leaseNS.WaitForCacheSync(stop) {
			if !ok {
				return false
			}
		}
		return true
	}
	return c
}

// Run checks nodes every Period until ctx ends.
func (c *Controller) Run(ctx context.Context) {
	c.recorder.Start(ctx)
	c.start(ctx.Done())
	if !c.synced(ctx.Done()) {
		return
	}
	t := time.NewTicker(c.cfg.Period)
	defer t.Stop()
	for {
		c.reconcileAll(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (c *Controller) reconcileAll(ctx context.Context) {
	nodes, err := c.nodes.List(labels.Everything())
	if err != nil {
		return
	}
	for _, n := range nodes {
		if r := readyCondition(n); r != nil && r.Status == corev1.ConditionTrue && hasTaint(n.Spec.Taints, UnreachableTaints[0]) {
			if err := c.clearTaints(ctx, n.DeepCopy()); err != nil {
				c.cfg.Log.Error("Failed to remove unreachable taints", "node", n.Name, "err", err)
			}
			continue
		}
		lease, _ := c.leases.Leases(LeaseNamespace).Get(n.Name)
		if !Stale(n, lease, c.cfg.Now(), c.cfg.Grace) {
			continue
		}
		if err := c.markUnknown(ctx, n.DeepCopy()); err != nil {
			c.cfg.Log.Error("Failed to mark node not ready", "node", n.Name, "err", err)
		}
	}
	if nodes, err = c.nodes.List(labels.Everything()); err == nil {
		c.evictPods(ctx, nodes)
	}
}

// Stale reports whether a node's heartbeat is older than grace while its
// Ready condition still claims something other than Unknown.
func Stale(n *corev1.Node, lease *coordinationv1.Lease, now time.Time, grace time.Duration) bool {
	ready := readyCondition(n)
	if ready == nil || ready.Status == corev1.ConditionUnknown {
		return false
	}
	last := ready.LastHeartbeatTime.Time
	if lease != nil && lease.Spec.RenewTime != nil && lease.Spec.RenewTime.After(last) {
		last = lease.Spec.RenewTime.Time
	}
	return now.Sub(last) > grace
}

func readyCondition(n *corev1.Node) *corev1.NodeCondition {
	for i := range n.Status.Conditions {
		if n.Status.Conditions[i].Type == corev1.NodeReady {
			return &n.Status.Conditions[i]
		}
	}
	return nil
}

// UnreachableTaints are the taints of a node whose agent went silent.
var UnreachableTaints = []corev1.Taint{
	{Key: corev1.TaintNodeUnreachable, Effect: corev1.TaintEffectNoSchedule},
	{Key: corev1.TaintNodeUnreachable, Effect: corev1.TaintEffectNoExecute},
}

func (c *Controller) markUnknown(ctx context.Context, n *corev1.Node) error {
	now := metav1.NewTime(c.cfg.Now())
	for i := range n.Status.Conditions {
		cond := &n.Status.Conditions[i]
		cond.Status = corev1.ConditionUnknown
		cond.Reason = "NodeStatusUnknown"
		cond.Message = "Kubelet stopped posting node status."
		cond.LastTransitionTime = now
	}
	updated, err := c.cfg.Client.CoreV1().Nodes().UpdateStatus(ctx, n, metav1.UpdateOptions{})
	if err != nil {
		return err
	}
	c.cfg.Log.Info("Node is not ready: heartbeats stopped", "node", n.Name, "grace", c.cfg.Grace)
	for _, t := range UnreachableTaints {
		if !hasTaint(updated.Spec.Taints, t) {
			t.TimeAdded = &now
			updated.Spec.Taints = append(updated.Spec.Taints, t)
		}
	}
	_, err = c.cfg.Client.CoreV1().Nodes().Update(ctx, updated, metav1.UpdateOptions{})
	return err
}

func hasTaint(ts []corev1.Taint, t corev1.Taint) bool {
	for _, have := range ts {
		if have.Key == t.Key && have.Effect == t.Effect {
			return true
		}
	}
	return false
}

// clearTaints removes the unreachable taints of a node that is Ready again.
func (c *Controller) clearTaints(ctx context.Context, n *corev1.Node) error {
	var keep []corev1.Taint
	for _, t := range n.Spec.Taints {
		if t.Key != corev1.TaintNodeUnreachable {
			keep = append(keep, t)
		}
	}
	n.Spec.Taints = keep
	_, err := c.cfg.Client.CoreV1().Nodes().Update(ctx, n, metav1.UpdateOptions{})
	if err == nil {
		c.cfg.Log.Info("Node is ready again", "node", n.Name)
	}
	return err
}
