package dns

import (
	"context"
	"fmt"
	"net/netip"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
)

// Index names of the caches an Index reads.
const (
	// byService indexes EndpointSlices by "<ns>/<service>".
	byService = "service"
	// byIP indexes Services by ClusterIP and EndpointSlices by address.
	byIP = "ip"
)

// Index is the read side of the Service and EndpointSlice watch caches.
type Index struct {
	services cache.Indexer
	slices   cache.Indexer
	synced   []cache.InformerSynced
}

// ServiceIndexers are the indexes a Service cache needs for an Index.
func ServiceIndexers() cache.Indexers {
	return cache.Indexers{
		cache.NamespaceIndex: cache.MetaNamespaceIndexFunc,
		byIP: func(obj any) ([]string, error) {
			s, ok := obj.(*corev1.Service)
			if !ok {
				return nil, nil
			}
			var ips []string
			for _, ip := range s.Spec.ClusterIPs {
				if ip != "" && ip != corev1.ClusterIPNone {
					ips = append(ips, ip)
				}
			}
			return ips, nil
		},
	}
}

// SliceIndexers are the indexes an EndpointSlice cache needs for an Index.
func SliceIndexers() cache.Indexers {
	return cache.Indexers{
		byService: func(obj any) ([]string, error) {
			s, ok := obj.(*discoveryv1.EndpointSlice)
			if !ok || s.Labels[discoveryv1.LabelServiceName] == "" {
				return nil, nil
			}
			return []string{s.Namespace + "/" + s.Labels[discoveryv1.LabelServiceName]}, nil
		},
		byIP: func(obj any) ([]string, error) {
			s, ok := obj.(*discoveryv1.EndpointSlice)
			if !ok {
				return nil, nil
			}
			var ips []string
			for _, e := range s.Endpoints {
				ips = append(ips, e.Addresses...)
			}
			return ips, nil
		},
	}
}

// NewIndex reads Services and EndpointSlices from caches built with
// ServiceIndexers and SliceIndexers.
func NewIndex(services, slices cache.Indexer) *Index {
	return &Index{services: services, slices: slices}
}

// WatchIndex starts Service and EndpointSlice informers on client and
// returns their Index at once; Synced reports when both have listed.
// The informers stop when ctx ends.
func WatchIndex(ctx context.Context, client kubernetes.Interface) (*Index, error) {
	f := informers.NewSharedInformerFactory(client, 0)
	svc := f.Core().V1().Services().Informer()
	eps := f.Discovery().V1().EndpointSlices().Informer()
	if err := svc.AddIndexers(cache.Indexers{byIP: ServiceIndexers()[byIP]}); err != nil {
		return nil, fmt.Errorf("index services for DNS: %w", err)
	}
	if err := eps.AddIndexers(SliceIndexers()); err != nil {
		return nil, fmt.Errorf("index endpoint slices for DNS: %w", err)
	}
	f.Start(ctx.Done())
	return &Index{services: svc.GetIndexer(), slices: eps.GetIndexer(), synced: []cache.InformerSynced{svc.HasSynced, eps.HasSynced}}, nil
}

// Synced reports whether the caches hold a full list.
func (x *Index) Synced() bool {
	for _, s := range x.synced {
		if !s() {
			return false
		}
	}
	return true
}

// service returns ns/name, or nil.
func (x *Index) service(ns, name string) *corev1.Service {
	obj, ok, err := x.services.GetByKey(ns + "/" + name)
	if err != nil || !ok {
		return nil
	}
	s, _ := obj.(*corev1.Service)
	return s
}

// namespaceHasServices reports whether any Service lives in ns.
func (x *Index) namespaceHasServices(ns string) bool {
	keys, err := x.services.IndexKeys(cache.NamespaceIndex, ns)
	return err == nil && len(keys) > 0
}

// endpoint is one ready address of a Service with the ports of its slice.
type endpoint struct {
	addr     netip.Addr
	hostname string
	ports    []discoveryv1.EndpointPort
}

// host is the endpoint's DNS label: its hostname, else its address with
// dashes (as CoreDNS).
func (e endpoint) host() string {
	if e.hostname != "" {
		return e.hostname
	}
	return dashed(e.addr)
}

// readyEndpoints lists the ready addresses of ns/svc's EndpointSlices, each once.
func (x *Index) readyEndpoints(ns, svc string) []endpoint {
	objs, err := x.slices.ByIndex(byService, ns+"/"+svc)
	if err != nil {
		return nil
	}
	var out []endpoint
	seen := map[netip.Addr]bool{}
	for _, o := range objs {
		s, ok := o.(*discoveryv1.EndpointSlice)
		if !ok || (s.AddressType != discoveryv1.AddressTypeIPv4 && s.AddressType != discoveryv1.AddressTypeIPv6) {
			continue
		}
		for _, e := range s.Endpoints {
			// A nil ready condition means unknown, which consumers treat as ready.
			if e.Conditions.Ready != nil && !*e.Conditions.Ready {
				continue
			}
			host := ""
			if e.Hostname != nil {
				host = *e.Hostname
			}
			for _, a := range e.Addresses {
				ip, err := netip.ParseAddr(a)
				if err != nil || seen[ip] {
					continue
				}
				seen[ip] = true
				out = append(out, endpoint{addr: ip, hostname: host, ports: s.Ports})
			}
		}
	}
	return out
}

// servicesByIP lists the Services with ClusterIP ip.
func (x *Index) servicesByIP(ip string) []*corev1.Service {
	objs, _ := x.services.ByIndex(byIP, ip)
	var out []*corev1.Service
	for _, o := range objs {
		if s, ok := o.(*corev1.Service); ok {
			out = append(out, s)
		}
	}
	return out
}

// slicesByIP lists the EndpointSlices holding address ip.
func (x *Index) slicesByIP(ip string) []*discoveryv1.EndpointSlice {
	objs, _ := x.slices.ByIndex(byIP, ip)
	var out []*discoveryv1.EndpointSlice
	for _, o := range objs {
		if s, ok := o.(*discoveryv1.EndpointSlice); ok {
			out = append(out, s)
		}
	}
	return out
}
