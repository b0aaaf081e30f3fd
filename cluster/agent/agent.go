package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
)

// ServerName is the name the agent verifies the API server's certificate
// against, so the gateway's address may change without a new certificate.
const ServerName = "mini-apiserver"

// Config is what the agent needs; cmd fills it from the node's environment.
type Config struct {
	NodeName string
	// Server is the API URL; empty means https://<default gateway>:APIPort.
	Server  string
	APIPort int
	CAPEM   []byte
	Token   string
	PodCIDR string
	// Heartbeat is how often the Lease is renewed; 0 means 10 s, as kubelets.
	Heartbeat time.Duration
	// RunPods makes the agent run the pods bound to its node (a node
	// container); without it the agent only keeps its Node and Lease.
	RunPods bool
	// KubeletPort serves pods' logs, exec and port-forward; 0 means 10250.
	KubeletPort int
	// DNSIP is the nameserver pods get; empty means 10.96.0.10.
	DNSIP   string
	Version string
	Log     *slog.Logger
}

// LeaseDuration is the Lease's leaseDurationSeconds, as kubelets set it.
const LeaseDuration = 40

// Agent is a running node agent.
type Agent struct {
	cfg    Config
	log    *slog.Logger
	client kubernetes.Interface
	rest   *rest.Config
	// podsErr is why this node cannot run pods (nil when it can).
	podsErr error
}

// New checks the config and builds the API client.
func New(cfg Config) (*Agent, error) {
	if cfg.NodeName == "" || len(cfg.CAPEM) == 0 || cfg.Token == "" {
		return nil, errors.New("agent: the node name, the cluster CA and a node token are required (MINI_NODE_NAME, MINI_CA, MINI_NODE_TOKEN)")
	}
	if cfg.Heartbeat == 0 {
		cfg.Heartbeat = 10 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.KubeletPort == 0 {
		cfg.KubeletPort = DefaultKubeletPort
	}
	if cfg.DNSIP == "" {
		cfg.DNSIP = DefaultDNSIP
	}
	if cfg.Server == "" {
		gw, err := defaultGateway()
		if err != nil {
			return nil, err
		}
		cfg.Server = "https://" + net.JoinHostPort(gw, strconv.Itoa(cfg.APIPort))
	}
	restCfg := &rest.Config{
		Host:            cfg.Server,
		BearerToken:     cfg.Token,
		TLSClientConfig: rest.TLSClientConfig{CAData: cfg.CAPEM, ServerName: ServerName},
		Timeout:         15 * time.Second,
		UserAgent:       "mini-agent/" + cfg.Version,
		QPS:             50, Burst: 100,
	}
	client, err := kubernetes.NewForConfig(restCfg)
	if err != nil {
		return nil, fmt.Errorf("agent: API client for %s: %w", cfg.Server, err)
	}
	return &Agent{cfg: cfg, log: cfg.Log.With("node", cfg.NodeName), client: client, rest: restCfg}, nil
}

// Run registers the node and renews its heartbeat until ctx ends. API
// errors are retried with back-off: the control plane may be restarting.
func (a *Agent) Run(ctx context.Context) error {
	a.log.Info("agent starting", "server", a.cfg.Server, "version", a.cfg.Version)
	if a.cfg.RunPods {
		p, err := a.setupPods(ctx)
		if err != nil {
			// The node registers, NotReady, saying why: it cannot run pods.
			a.log.Error("Cannot run pods on this node", "err", err)
			a.podsErr = err
		} else {
			podsDone := make(chan struct{})
			go func() { p.run(ctx); close(podsDone) }()
			defer func() {
				// Stopping: the pods' cgroups must not outlive the node.
				select {
				case <-podsDone:
				case <-time.After(10 * time.Second):
				}
			}()
		}
	}
	backoff := 200 * time.Millisecond
	registered := false
	for {
		err := a.beat(ctx, !registered)
		if err == nil {
			if !registered {
				a.log.Info("node registered and ready")
			}
			registered, backoff = true, 200*time.Millisecond
		} else {
			a.log.Warn("Failed to reach the control plane", "err", err, "retry", backoff)
		}
		wait := a.cfg.Heartbeat
		if err != nil {
			wait, backoff = backoff, min(backoff*2, a.cfg.Heartbeat)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
	}
}

// beat renews the Lease and, when the node is new, not Ready, or its
// status is stale, writes the node status.
func (a *Agent) beat(ctx context.Context, full bool) error {
	node, err := a.client.CoreV1().Nodes().Get(ctx, a.cfg.NodeName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		node, err = a.client.CoreV1().Nodes().Create(ctx, a.newNode(), metav1.CreateOptions{})
		full = true
	}
	if err != nil {
		return fmt.Errorf("node %s: %w", a.cfg.NodeName, err)
	}
	if err := a.renewLease(ctx, node); err != nil {
		return err
	}
	if full || !ready(node) || time.Since(readyHeartbeat(node)) > time.Minute {
		return a.updateStatus(ctx, node)
	}
	return nil
}

func ready(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func readyHeartbeat(n *corev1.Node) time.Time {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.LastHeartbeatTime.Time
		}
	}
	return time.Time{}
}

func (a *Agent) updateStatus(ctx context.Context, node *corev1.Node) error {
	node = node.DeepCopy()
	node.Status = a.status(node.Status)
	_, err := a.client.CoreV1().Nodes().UpdateStatus(ctx, node, metav1.UpdateOptions{})
	if err != nil {
		return fmt.Errorf("update status of node %s: %w", a.cfg.NodeName, err)
	}
	return nil
}

func (a *Agent) renewLease(ctx context.Context, node *corev1.Node) error {
	leases := a.client.CoordinationV1().Leases(corev1.NamespaceNodeLease)
	now := metav1.NewMicroTime(time.Now())
	lease, err := leases.Get(ctx, a.cfg.NodeName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		_, err = leases.Create(ctx, &coordinationv1.Lease{
			ObjectMeta: metav1.ObjectMeta{
				Name: a.cfg.NodeName, Namespace: corev1.NamespaceNodeLease,
				OwnerReferences: []metav1.OwnerReference{{APIVersion: "v1", Kind: "Node", Name: node.Name, UID: node.UID}},
			},
			Spec: coordinationv1.LeaseSpec{HolderIdentity: ptr.To(a.cfg.NodeName), LeaseDurationSeconds: ptr.To[int32](LeaseDuration), RenewTime: &now},
		}, metav1.CreateOptions{})
	} else if err == nil {
		lease.Spec.RenewTime = &now
		lease.Spec.HolderIdentity = ptr.To(a.cfg.NodeName)
		_, err = leases.Update(ctx, lease, metav1.UpdateOptions{})
	}
	if err != nil {
		return fmt.Errorf("renew lease of node %s: %w", a.cfg.NodeName, err)
	}
	return nil
}
