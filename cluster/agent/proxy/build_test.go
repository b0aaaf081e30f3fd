package proxy

import (
	"net/netip"
	"reflect"
	"strconv"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

func svc(name, clusterIP string, ports ...corev1.ServicePort) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name},
		Spec:       corev1.ServiceSpec{ClusterIP: clusterIP, Ports: ports},
	}
}

type ep struct {
	ip                          string
	ready, serving, terminating *bool
}

func slice(svcName, portName string, proto corev1.Protocol, port int32, eps ...ep) *discoveryv1.EndpointSlice {
	s := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Namespace: "default", Name: svcName + "-x", Labels: map[string]string{discoveryv1.LabelServiceName: svcName}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: ptr.To(portName), Protocol: ptr.To(proto), Port: ptr.To(port)}},
	}
	for _, e := range eps {
		s.Endpoints = append(s.Endpoints, discoveryv1.Endpoint{Addresses: []string{e.ip},
			Conditions: discoveryv1.EndpointConditions{Ready: e.ready, Serving: e.serving, Terminating: e.terminating}})
	}
	return s
}

var (
	ip  = netip.MustParseAddr
	pfx = netip.MustParsePrefix
	opt = Options{ClusterCIDR: pfx("10.244.0.0/16"), PodCIDR: pfx("10.244.1.0/24"), BridgeNetfilter: true}
)

func endpoint(key, addr string, port uint16, proto Proto) EndpointChain {
	return EndpointChain{Name: "endpoint-" + key + "__" + addr + ":" + itoa(port), IP: ip(addr), Port: port, Proto: proto,
		MasqueradeFrom: netip.PrefixFrom(ip(addr), 32)}
}

func itoa(p uint16) string { return strconv.Itoa(int(p)) }

func TestBuild(t *testing.T) {
	t.Parallel()
	web := "default/web/tcp/http"
	tcpHTTP := corev1.ServicePort{Name: "http", Protocol: corev1.ProtocolTCP, Port: 80, TargetPort: intstr.FromInt32(8080)}
	tests := []struct {
		name   string
		svcs   []*corev1.Service
		slices []*discoveryv1.EndpointSlice
		opts   Options
		want   Plan
	}{
		{
			name:   "ClusterIP over two ready endpoints; not-ready and terminating ones left out",
			svcs:   []*corev1.Service{svc("web", "10.96.0.20", tcpHTTP)},
			slices: []*discoveryv1.EndpointSlice{slice("web", "http", corev1.ProtocolTCP, 8080, ep{ip: "10.244.2.5"}, ep{ip: "10.244.3.5", ready: ptr.To(true)}, ep{ip: "10.244.3.6", ready: ptr.To(false)}, ep{ip: "10.244.3.7", ready: ptr.To(true), terminating: ptr.To(true)})},
			opts:   opt,
			want: Plan{
				ServiceIPs: []MapElem{{IP: ip("10.96.0.20"), Proto: TCP, Port: 80, Chain: "service-" + web}},
				ClusterIPs: []netip.Addr{ip("10.96.0.20")},
				Services: []ServiceChain{{Name: "service-" + web, ClusterIP: ip("10.96.0.20"), Proto: TCP, Port: 80, MasqueradeNotFrom: pfx("10.244.0.0/16"),
					Endpoints: []string{"endpoint-" + web + "__10.244.2.5:8080", "endpoint-" + web + "__10.244.3.5:8080"}}},
				Endpoints: []EndpointChain{endpoint(web, "10.244.2.5", 8080, TCP), endpoint(web, "10.244.3.5", 8080, TCP)},
			},
		},
		{
			name: "publishNotReadyAddresses keeps not-ready endpoints, not terminating ones",
			svcs: func() []*corev1.Service {
				s := svc("web", "10.96.0.20", tcpHTTP)
				s.Spec.PublishNotReadyAddresses = true
				return []*corev1.Service{s}
			}(),
			slices: []*discoveryv1.EndpointSlice{slice("web", "http", corev1.ProtocolTCP, 8080, ep{ip: "10.244.3.6", ready: ptr.To(false)}, ep{ip: "10.244.3.7", terminating: ptr.To(true)})},
			opts:   opt,
			want: Plan{
				ServiceIPs: []MapElem{{IP: ip("10.96.0.20"), Proto: TCP, Port: 80, Chain: "service-" + web}},
				ClusterIPs: []netip.Addr{ip("10.96.0.20")},
				Services: []ServiceChain{{Name: "service-" + web, ClusterIP: ip("10.96.0.20"), Proto: TCP, Port: 80, MasqueradeNotFrom: pfx("10.244.0.0/16"),
					Endpoints: []string{"endpoint-" + web + "__10.244.3.6:8080"}}},
				Endpoints: []EndpointChain{endpoint(web, "10.244.3.6", 8080, TCP)},
			},
		},
		{
			name: "no endpoints: ClusterIP and NodePort rejected",
			svcs: func() []*corev1.Service {
				s := svc("web", "10.96.0.20", corev1.ServicePort{Name: "http", Port: 80, NodePort: 30080})
				s.Spec.Type = corev1.ServiceTypeNodePort
				return []*corev1.Service{s}
			}(),
			slices: []*discoveryv1.EndpointSlice{slice("web", "http", corev1.ProtocolTCP, 8080, ep{ip: "10.244.3.6", ready: ptr.To(false)})},
			opts:   opt,
			want: Plan{
				NoEndpointIPs:       []MapElem{{IP: ip("10.96.0.20"), Proto: TCP, Port: 80}},
				NoEndpointNodePorts: []MapElem{{Proto: TCP, Port: 30080}},
				ClusterIPs:          []netip.Addr{ip("10.96.0.20")},
			},
		},
		{
			name: "NodePort and UDP: external chain, node-port map; slice ports matched by name and protocol",
			svcs: func() []*corev1.Service {
				s := svc("dns", "10.96.0.10", corev1.ServicePort{Name: "dns", Protocol: corev1.ProtocolUDP, Port: 53, NodePort: 30053},
					corev1.ServicePort{Name: "dns-tcp", Protocol: corev1.ProtocolTCP, Port: 53})
				s.Spec.Type = corev1.ServiceTypeNodePort
				return []*corev1.Service{s}
			}(),
			slices: []*discoveryv1.EndpointSlice{
				slice("dns", "dns", corev1.ProtocolUDP, 5353, ep{ip: "172.18.0.1"}),
				slice("dns", "dns-tcp", corev1.ProtocolUDP, 9999, ep{ip: "172.18.0.1"}), // wrong protocol: no TCP endpoint
			},
			opts: opt,
			want: Plan{
				ServiceIPs:    []MapElem{{IP: ip("10.96.0.10"), Proto: UDP, Port: 53, Chain: "service-default/dns/udp/dns"}},
				NodePorts:     []MapElem{{Proto: UDP, Port: 30053, Chain: "external-default/dns/udp/dns"}},
				NoEndpointIPs: []MapElem{{IP: ip("10.96.0.10"), Proto: TCP, Port: 53}},
				ClusterIPs:    []netip.Addr{ip("10.96.0.10")},
				Services: []ServiceChain{{Name: "service-default/dns/udp/dns", ClusterIP: ip("10.96.0.10"), Proto: UDP, Port: 53, MasqueradeNotFrom: pfx("10.244.0.0/16"),
					Endpoints: []string{"endpoint-default/dns/udp/dns__172.18.0.1:5353"}}},
				Externals: []ExternalChain{{Name: "external-default/dns/udp/dns", Service: "service-default/dns/udp/dns"}},
				Endpoints: []EndpointChain{endpoint("default/dns/udp/dns", "172.18.0.1", 5353, UDP)},
			},
		},
		{
			name: "ClientIP affinity with a timeout; local endpoint masqueraded from the whole pod CIDR without br_netfilter",
			svcs: func() []*corev1.Service {
				s := svc("web", "10.96.0.20", corev1.ServicePort{Port: 80})
				s.Spec.SessionAffinity = corev1.ServiceAffinityClientIP
				s.Spec.SessionAffinityConfig = &corev1.SessionAffinityConfig{ClientIP: &corev1.ClientIPConfig{TimeoutSeconds: ptr.To[int32](60)}}
				return []*corev1.Service{s}
			}(),
			slices: []*discoveryv1.EndpointSlice{slice("web", "", corev1.ProtocolTCP, 8080, ep{ip: "10.244.1.7"}, ep{ip: "10.244.2.7"})},
			opts:   Options{ClusterCIDR: pfx("10.244.0.0/16"), PodCIDR: pfx("10.244.1.0/24")},
			want: func() Plan {
				key := "default/web/tcp/80"
				local, remote := endpoint(key, "10.244.1.7", 8080, TCP), endpoint(key, "10.244.2.7", 8080, TCP)
				local.MasqueradeFrom = pfx("10.244.1.0/24")
				for _, e := range []*EndpointChain{&local, &remote} {
					e.AffinitySet = "affinity-" + e.Name[len("endpoint-"):]
					e.AffinityTimeout = time.Minute
				}
				return Plan{
					ServiceIPs: []MapElem{{IP: ip("10.96.0.20"), Proto: TCP, Port: 80, Chain: "service-" + key}},
					ClusterIPs: []netip.Addr{ip("10.96.0.20")},
					Services: []ServiceChain{{Name: "service-" + key, ClusterIP: ip("10.96.0.20"), Proto: TCP, Port: 80, MasqueradeNotFrom: pfx("10.244.0.0/16"),
						Endpoints: []string{local.Name, remote.Name}, Affinity: true}},
					Endpoints: []EndpointChain{local, remote},
				}
			}(),
		},
		{
			name: "headless, ExternalName, SCTP and other services' slices are skipped; duplicate addresses merged",
			svcs: func() []*corev1.Service {
				ext := svc("ext", "", tcpHTTP)
				ext.Spec.Type = corev1.ServiceTypeExternalName
				return []*corev1.Service{svc("headless", "None", tcpHTTP), ext, svc("web", "10.96.0.20", corev1.ServicePort{Name: "s", Protocol: corev1.ProtocolSCTP, Port: 9}, tcpHTTP)}
			}(),
			slices: []*discoveryv1.EndpointSlice{
				slice("web", "http", corev1.ProtocolTCP, 8080, ep{ip: "10.244.2.5"}),
				slice("web", "http", corev1.ProtocolTCP, 8080, ep{ip: "10.244.2.5"}),
				slice("headless", "http", corev1.ProtocolTCP, 8080, ep{ip: "10.244.2.9"}),
			},
			opts: opt,
			want: Plan{
				ServiceIPs: []MapElem{{IP: ip("10.96.0.20"), Proto: TCP, Port: 80, Chain: "service-" + web}},
				ClusterIPs: []netip.Addr{ip("10.96.0.20")},
				Services: []ServiceChain{{Name: "service-" + web, ClusterIP: ip("10.96.0.20"), Proto: TCP, Port: 80, MasqueradeNotFrom: pfx("10.244.0.0/16"),
					Endpoints: []string{"endpoint-" + web + "__10.244.2.5:8080"}}},
				Endpoints: []EndpointChain{endpoint(web, "10.244.2.5", 8080, TCP)},
			},
		},
		{
			name: "external and load-balancer IPs go through the external chain",
			svcs: func() []*corev1.Service {
				s := svc("web", "10.96.0.20", tcpHTTP)
				s.Spec.ExternalIPs = []string{"172.18.0.50"}
				s.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: "172.18.0.60"}}
				return []*corev1.Service{s}
			}(),
			slices: []*discoveryv1.EndpointSlice{slice("web", "http", corev1.ProtocolTCP, 8080, ep{ip: "10.244.2.5"})},
			opts:   opt,
			want: Plan{
				ServiceIPs: []MapElem{
					{IP: ip("10.96.0.20"), Proto: TCP, Port: 80, Chain: "service-" + web},
					{IP: ip("172.18.0.50"), Proto: TCP, Port: 80, Chain: "external-" + web},
					{IP: ip("172.18.0.60"), Proto: TCP, Port: 80, Chain: "external-" + web},
				},
				ClusterIPs: []netip.Addr{ip("10.96.0.20")},
				Services: []ServiceChain{{Name: "service-" + web, ClusterIP: ip("10.96.0.20"), Proto: TCP, Port: 80, MasqueradeNotFrom: pfx("10.244.0.0/16"),
					Endpoints: []string{"endpoint-" + web + "__10.244.2.5:8080"}}},
				Externals: []ExternalChain{{Name: "external-" + web, Service: "service-" + web}},
				Endpoints: []EndpointChain{endpoint(web, "10.244.2.5", 8080, TCP)},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Build(tt.svcs, tt.slices, tt.opts)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Build:\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}
