package simnode

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/minidev/mini/cluster/controller/loop"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/utils/ptr"
)

// Label marks real and simulated nodes; the value here is "simulated".
const Label = "mini.dev/node"

// Config of the simulator.
type Config struct {
	Client kubernetes.Interface
	// Prefix names the nodes: <Prefix>-<i>, i from 1.
	Prefix string
	Count  int
	// Heartbeat is how often the Leases are renewed; 0 means 10 s.
	Heartbeat time.Duration
	Version   string
	Log       *slog.Logger
	Now       func() time.Time
	// Informers, when set, is the factory shared with the controllers;
	// nil makes one of the simulator's own.
	Informers informers.SharedInformerFactory
	// Workers is how many pods are started or removed at once (each is an
	// API call); 0 means 16.
	Workers int
}

// Simulator runs the simulated nodes.
type Simulator struct {
	cfg     Config
	log     *slog.Logger
	loop    *loop.Loop
	pods    corelisters.PodLister
	nodes   corelisters.NodeLister
	factory informers.SharedInformerFactory

	mu      sync.Mutex
	nextIP  map[string]int // node -> last host number handed out
	podCIDR map[string]*net.IPNet
	leases  map[string]*coordinationv1.Lease // last written, renewed without a read
}

// New returns a simulator for cfg.Count nodes.
func New(cfg Config) *Simulator {
	if cfg.Heartbeat == 0 {
		cfg.Heartbeat = 10 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Informers == nil {
		cfg.Informers = informers.NewSharedInformerFactory(cfg.Client, 0)
	}
	if cfg.Workers == 0 {
		cfg.Workers = 16
	}
	s := &Simulator{cfg: cfg, log: cfg.Log.With("component", "simnode"), factory: cfg.Informers,
		nextIP: map[string]int{}, podCIDR: map[string]*net.IPNet{}, leases: map[string]*coordinationv1.Lease{}}
	s.loop = loop.New("simnode", s.reconcilePod, cfg.Log)
	inf := s.factory.Core().V1().Pods()
	s.pods = inf.Lister()
	s.nodes = s.factory.Core().V1().Nodes().Lister()
	_, _ = inf.Informer().AddEventHandler(s.loop.Handler())
	for i := 1; i <= cfg.Count; i++ {
		_, cidr, _ := net.ParseCIDR(PodCIDR(i))
		s.podCIDR[NodeName(cfg.Prefix, i)] = cidr
	}
	return s
}

// NodeName is the i-th simulated node's name.
func NodeName(prefix string, i int) string { return fmt.Sprintf("%s-%d", prefix, i) }

// PodCIDR is the i-th simulated node's pod range, outside the real nodes'
// 10.244.0.0/16: 10.246.0.0/15 holds 512 simulated nodes.
func PodCIDR(i int) string { return fmt.Sprintf("10.%d.%d.0/24", 246+i/256, i%256) }

// Run registers the nodes, then renews their Leases and runs their pods
// until ctx ends.
func (s *Simulator) Run(ctx context.Context) error {
	for i := 1; i <= s.cfg.Count; i++ {
		if err := s.register(ctx, i); err != nil {
			return err
		}
	}
	s.log.Info("Simulated nodes registered", "count", s.cfg.Count)
	s.factory.Start(ctx.Done())
	s.factory.WaitForCacheSync(ctx.Done())
	go s.loop.Run(ctx, s.cfg.Workers)
	t := time.NewTicker(s.cfg.Heartbeat)
	defer t.Stop()
	for {
		s.heartbeatAll(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// heartbeatAll renews every node, heartbeatWorkers at a time: one by one,
// a thousand renewals could outlast the nodes' grace period.
func (s *Simulator) heartbeatAll(ctx context.Context) {
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(heartbeatWorkers, s.cfg.Count) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := s.heartbeat(ctx, i); err != nil && ctx.Err() == nil {
					s.log.Warn("Failed to renew a simulated node", "node", NodeName(s.cfg.Prefix, i), "err", err)
				}
			}
		}()
	}
	for i := 1; i <= s.cfg.Count && ctx.Err() == nil; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
}

// heartbeatWorkers is how many Leases are renewed at once.
const heartbeatWorkers = 16

// register creates (or refreshes) the i-th Node.
func (s *Simulator) register(ctx context.Context, i int) error {
	name := NodeName(s.cfg.Prefix, i)
	nodes := s.cfg.Client.CoreV1().Nodes()
	node, err := nodes.Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		node, err = nodes.Create(ctx, &corev1.Node{
			ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{
				corev1.LabelHostname: name, corev1.LabelOSStable: "linux", corev1.LabelArchStable: "amd64", Label: "simulated",
			}},
			Spec: corev1.NodeSpec{PodCIDR: PodCIDR(i), PodCIDRs: []string{PodCIDR(i)}},
		}, metav1.CreateOptions{})
	}
	if err != nil {
		return fmt.Errorf("register simulated node %s: %w", name, err)
	}
	return s.writeStatus(ctx, node)
}

func (s *Simulator) writeStatus(ctx context.Context, node *corev1.Node) error {
	node = node.DeepCopy()
	now := metav1.NewTime(s.cfg.Now())
	capacity := corev1.ResourceList{
		corev1.ResourceCPU:              resource.MustParse("8"),
		corev1.ResourceMemory:           resource.MustParse("32Gi"),
		corev1.ResourcePods:             resource.MustParse("110"),
		corev1.ResourceEphemeralStorage: resource.MustParse("100Gi"),
	}
	node.Status = corev1.NodeStatus{
		Capacity: capacity, Allocatable: capacity, Phase: corev1.NodeRunning,
		Addresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: hostIP(node.Name)}, {Type: corev1.NodeHostName, Address: node.Name}},
		NodeInfo: corev1.NodeSystemInfo{KubeletVersion: s.cfg.Version, OSImage: "simulated by mini", ContainerRuntimeVersion: "mini-simulated://" + s.cfg.Version,
			OperatingSystem: "linux", Architecture: "amd64", KernelVersion: "simulated"},
		Conditions: []corev1.NodeCondition{
			{Type: corev1.NodeMemoryPressure, Status: corev1.ConditionFalse, Reason: "KubeletHasSufficientMemory", LastHeartbeatTime: now, LastTransitionTime: now},
			{Type: corev1.NodeDiskPressure, Status: corev1.ConditionFalse, Reason: "KubeletHasNoDiskPressure", LastHeartbeatTime: now, LastTransitionTime: now},
			{Type: corev1.NodePIDPressure, Status: corev1.ConditionFalse, Reason: "KubeletHasSufficientPID", LastHeartbeatTime: now, LastTransitionTime: now},
			{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady", Message: "simulated by the mini control plane", LastHeartbeatTime: now, LastTransitionTime: now},
		},
	}
	_, err := s.cfg.Client.CoreV1().Nodes().UpdateStatus(ctx, node, metav1.UpdateOptions{})
	return err
}

// hostIP is a simulated node's address, from a documentation range.
func hostIP(node string) string {
	var h uint32
	for _, c := range node {
		h = h*31 + uint32(c)
	}
	return fmt.Sprintf("198.18.%d.%d", (h>>8)%256, h%254+1)
}

// heartbeat renews the i-th Lease and keeps the node Ready. The node is
// read from the informer and the Lease renewed from the copy last written:
// one API call per node and period, as a kubelet's lease controller.
func (s *Simulator) heartbeat(ctx context.Context, i int) error {
	name := NodeName(s.cfg.Prefix, i)
	node, err := s.nodes.Get(name)
	if apierrors.IsNotFound(err) {
		return s.register(ctx, i)
	}
	if err != nil {
		return err
	}
	if !ready(node) {
		// Read afresh: the informer's copy may be behind.
		if node, err = s.cfg.Client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{}); err != nil {
			return err
		}
		if err := s.writeStatus(ctx, node); err != nil {
			return err
		}
	}
	leases := s.cfg.Client.CoordinationV1().Leases(corev1.NamespaceNodeLease)
	now := metav1.NewMicroTime(s.cfg.Now())
	s.mu.Lock()
	lease := s.leases[name]
	s.mu.Unlock()
	if lease == nil {
		lease, err = leases.Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			lease, err = leases.Create(ctx, &coordinationv1.Lease{
				ObjectMeta: metav1.ObjectMeta{Name: name, OwnerReferences: []metav1.OwnerReference{{APIVersion: "v1", Kind: "Node", Name: name, UID: node.UID}}},
				Spec:       coordinationv1.LeaseSpec{HolderIdentity: ptr.To(name), LeaseDurationSeconds: ptr.To[int32](40), RenewTime: &now},
			}, metav1.CreateOptions{})
			s.remember(name, lease, err)
			return err
		}
		if err != nil {
			return err
		}
	}
	lease = lease.DeepCopy()
	lease.Spec.RenewTime = &now
	lease, err = leases.Update(ctx, lease, metav1.UpdateOptions{})
	s.remember(name, lease, err)
	return err
}

// remember keeps the Lease last written; after a failure (a conflict, a
// deleted Lease) the next renewal reads it again.
func (s *Simulator) remember(name string, lease *coordinationv1.Lease, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		delete(s.leases, name)
		return
	}
	s.leases[name] = lease
}

func ready(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// simulated reports whether a node name is one of ours.
func (s *Simulator) simulated(node string) bool {
	_, ok := s.podCIDR[node]
	return ok && strings.HasPrefix(node, s.cfg.Prefix+"-")
}
