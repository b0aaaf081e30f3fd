package agent

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/minidev/mini/cluster/controller/loop"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"
)

// ReasonNoRuntime is the Event reason for a pod this node cannot run yet.
const ReasonNoRuntime = "RuntimeNotAvailable"

// pods is the agent's side of the pods bound to its node. Until the pod
// runtime exists (docs/RUNTIME.md) it starts nothing: it says so once per
// pod in an Event, and completes deletions at once, since no process of
// the pod exists to stop.
type pods struct {
	client kubernetes.Interface
	node   string
	loop   *loop.Loop
	lister func(ns, name string) (*corev1.Pod, error)
	start  func(<-chan struct{})

	mu     sync.Mutex
	warned map[string]bool // pod UIDs told about
}

func newPods(client kubernetes.Interface, node string, a *Agent) *pods {
	p := &pods{client: client, node: node, warned: map[string]bool{}}
	f := informers.NewSharedInformerFactoryWithOptions(client, 0, informers.WithTweakListOptions(func(o *metav1.ListOptions) {
		o.FieldSelector = "spec.nodeName=" + node
	}))
	inf := f.Core().V1().Pods()
	p.loop = loop.New("pods", p.reconcile, a.log)
	_, _ = inf.Informer().AddEventHandler(p.loop.Handler())
	lister := inf.Lister()
	p.lister = func(ns, name string) (*corev1.Pod, error) { return lister.Pods(ns).Get(name) }
	p.start = func(stop <-chan struct{}) { f.Start(stop); f.WaitForCacheSync(stop) }
	return p
}

func (p *pods) run(ctx context.Context) {
	p.start(ctx.Done())
	p.loop.Run(ctx, 2)
}

func (p *pods) reconcile(ctx context.Context, key string) (time.Duration, error) {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return 0, nil
	}
	pod, err := p.lister(ns, name)
	if apierrors.IsNotFound(err) {
		return 0, nil
	}
	if err != nil || pod.Spec.NodeName != p.node {
		return 0, err
	}
	if pod.DeletionTimestamp != nil {
		// Nothing of this pod runs here: its termination is complete.
		err := p.client.CoreV1().Pods(ns).Delete(ctx, name, metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0), Preconditions: &metav1.Preconditions{UID: &pod.UID}})
		if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
			return 0, nil
		}
		return 0, err
	}
	p.mu.Lock()
	told := p.warned[string(pod.UID)]
	p.warned[string(pod.UID)] = true
	p.mu.Unlock()
	if told {
		return 0, nil
	}
	now := metav1.NewTime(time.Now())
	_, err = p.client.CoreV1().Events(ns).Create(ctx, &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{Name: fmt.Sprintf("%s.%x", name, now.UnixNano())}, // as client-go names events
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", APIVersion: "v1", Namespace: ns, Name: name, UID: pod.UID},
		Reason:         ReasonNoRuntime, Type: corev1.EventTypeWarning,
		Message:        fmt.Sprintf("node %s cannot run containers yet: mini's pod runtime is not built (the pod stays Pending; simulated nodes, --simulated-nodes, run pods as API objects)", p.node),
		Source:         corev1.EventSource{Component: "mini-agent", Host: p.node},
		FirstTimestamp: now, LastTimestamp: now, Count: 1,
	}, metav1.CreateOptions{})
	return 0, err
}
