package controlplane

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"time"

	minidns "github.com/minidev/mini/cluster/dns"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
)

// The cluster DNS Service, as in every Kubernetes cluster: pods' nameserver.
const (
	DNSServiceName      = "kube-dns"
	DNSServiceNamespace = "kube-system"
	DNSServiceIP        = "10.96.0.10"
	// dnsManager marks the kube-dns EndpointSlice as the control plane's:
	// the Service has no selector, so no endpoints controller touches it.
	dnsManager = "mini-controlplane"
	// hostResolvConf lists the host's resolvers, where other names go.
	hostResolvConf = "/etc/resolv.conf"
)

// startDNS serves the cluster DNS on 127.0.0.1 and the gateway at
// cfg.DNSPort from informers, and points the kube-dns Service at
// gateway:DNSPort, where the nodes' service proxy sends 10.96.0.10:53.
// stop ends serving.
func startDNS(ctx context.Context, client kubernetes.Interface, cfg Config, log *slog.Logger) (stop func(), err error) {
	if cfg.DNSPort == 0 {
		log.Warn("Cluster DNS is off: the cluster's state has no DNS port (recreate the cluster to get one)")
		return func() {}, nil
	}
	ups, err := minidns.HostUpstreams(hostResolvConf)
	if err != nil {
		return nil, err
	}
	idx, err := minidns.WatchIndex(ctx, client)
	if err != nil {
		return nil, err
	}
	addrs := []string{"127.0.0.1"}
	if cfg.Gateway != "" {
		addrs = append(addrs, cfg.Gateway)
	}
	srv, err := minidns.Listen(minidns.Config{
		Resolver:  &minidns.Resolver{Index: idx, DNSIP: netip.MustParseAddr(DNSServiceIP)},
		Forwarder: &minidns.Forwarder{Upstreams: ups},
		Addrs:     addrs, Port: cfg.DNSPort, Log: log,
	})
	if err != nil {
		return nil, fmt.Errorf("cluster DNS: %w", err)
	}
	log.Info("DNS listening", "addresses", addrs, "port", cfg.DNSPort, "upstreams", ups)
	if err := ensureKubeDNS(ctx, client, cfg.Gateway, cfg.DNSPort); err != nil {
		// DNS still answers on the host; pods cannot reach it until the next start.
		log.Error("Failed to point the kube-dns Service at the cluster DNS", "err", err)
	}
	return func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}, nil
}

// ensureKubeDNS creates or updates kube-system/kube-dns: ClusterIP
// 10.96.0.10, ports dns 53/UDP and dns-tcp 53/TCP to port, no selector;
// then, when there is a gateway, its EndpointSlice and Endpoints at
// gateway:port (rewritten at every start: Docker may move the gateway).
func ensureKubeDNS(ctx context.Context, client kubernetes.Interface, gateway string, port int) error {
	svcs := client.CoreV1().Services(DNSServiceNamespace)
	want := kubeDNSService(port)
	cur, err := svcs.Get(ctx, DNSServiceName, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		if _, err := svcs.Create(ctx, want, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("create Service %s/%s: %w", DNSServiceNamespace, DNSServiceName, err)
		}
	case err != nil:
		return fmt.Errorf("get Service %s/%s: %w", DNSServiceNamespace, DNSServiceName, err)
	default:
		cur.Spec.Ports, cur.Spec.Selector = want.Spec.Ports, nil
		if _, err := svcs.Update(ctx, cur, metav1.UpdateOptions{}); err != nil {
			return fmt.Errorf("update Service %s/%s: %w", DNSServiceNamespace, DNSServiceName, err)
		}
	}
	if gateway == "" {
		return nil
	}
	if err := ensureDNSSlice(ctx, client, gateway, port); err != nil {
		return err
	}
	return ensureDNSEndpoints(ctx, client, gateway, port)
}

func kubeDNSService(port int) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: DNSServiceName, Namespace: DNSServiceNamespace, Labels: map[string]string{
			"k8s-app": "kube-dns", "kubernetes.io/cluster-service": "true", "kubernetes.io/name": "CoreDNS",
		}},
		Spec: corev1.ServiceSpec{
			Type: corev1.ServiceTypeClusterIP, ClusterIP: DNSServiceIP, ClusterIPs: []string{DNSServiceIP},
			Ports: []corev1.ServicePort{
				{Name: "dns", Protocol: corev1.ProtocolUDP, Port: 53, TargetPort: intstr.FromInt32(int32(port))},
				{Name: "dns-tcp", Protocol: corev1.ProtocolTCP, Port: 53, TargetPort: intstr.FromInt32(int32(port))},
			},
		},
	}
}

func ensureDNSSlice(ctx context.Context, client kubernetes.Interface, gateway string, port int) error {
	p := int32(port)
	udp, tcp := corev1.ProtocolUDP, corev1.ProtocolTCP
	dnsName, tcpName := "dns", "dns-tcp"
	ready := true
	want := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{Name: DNSServiceName, Namespace: DNSServiceNamespace, Labels: map[string]string{
			discoveryv1.LabelServiceName: DNSServiceName, discoveryv1.LabelManagedBy: dnsManager,
		}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints: []discoveryv1.Endpoint{{Addresses: []string{gateway},
			Conditions: discoveryv1.EndpointConditions{Ready: &ready, Serving: &ready}}},
		Ports: []discoveryv1.EndpointPort{{Name: &dnsName, Protocol: &udp, Port: &p}, {Name: &tcpName, Protocol: &tcp, Port: &p}},
	}
	api := client.DiscoveryV1().EndpointSlices(DNSServiceNamespace)
	cur, err := api.Get(ctx, DNSServiceName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		_, err = api.Create(ctx, want, metav1.CreateOptions{})
	} else if err == nil {
		cur.Labels, cur.AddressType, cur.Endpoints, cur.Ports = want.Labels, want.AddressType, want.Endpoints, want.Ports
		_, err = api.Update(ctx, cur, metav1.UpdateOptions{})
	}
	if err != nil {
		return fmt.Errorf("write EndpointSlice %s/%s: %w", DNSServiceNamespace, DNSServiceName, err)
	}
	return nil
}

func ensureDNSEndpoints(ctx context.Context, client kubernetes.Interface, gateway string, port int) error {
	want := &corev1.Endpoints{ //nolint:staticcheck // Endpoints is still served and read by older clients.
		ObjectMeta: metav1.ObjectMeta{Name: DNSServiceName, Namespace: DNSServiceNamespace, Labels: map[string]string{
			// The EndpointSlice above is the source; mirroring would duplicate it.
			discoveryv1.LabelSkipMirror: "true",
		}},
		Subsets: []corev1.EndpointSubset{{
			Addresses: []corev1.EndpointAddress{{IP: gateway}},
			Ports: []corev1.EndpointPort{
				{Name: "dns", Protocol: corev1.ProtocolUDP, Port: int32(port)},
				{Name: "dns-tcp", Protocol: corev1.ProtocolTCP, Port: int32(port)},
			},
		}},
	}
	api := client.CoreV1().Endpoints(DNSServiceNamespace)
	cur, err := api.Get(ctx, DNSServiceName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		_, err = api.Create(ctx, want, metav1.CreateOptions{})
	} else if err == nil {
		cur.Labels, cur.Subsets = want.Labels, want.Subsets
		_, err = api.Update(ctx, cur, metav1.UpdateOptions{})
	}
	if err != nil {
		return fmt.Errorf("write Endpoints %s/%s: %w", DNSServiceNamespace, DNSServiceName, err)
	}
	return nil
}
