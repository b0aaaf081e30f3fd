// Package dns is the cluster DNS: it answers for the cluster domain
// (cluster.local) as CoreDNS's kubernetes plugin does, following the
// Kubernetes DNS specification (kubernetes/dns docs/specification.md):
//
//   - <svc>.<ns>.svc.cluster.local: A/AAAA with the ClusterIPs; for a
//     headless Service one record per ready endpoint address; CNAME for
//     an ExternalName Service;
//   - <host>.<svc>.<ns>.svc.cluster.local for a headless Service's
//     endpoints (the endpoint's hostname, else its address with dashes);
//   - _<port>._<proto>.<svc>.<ns>.svc.cluster.local: SRV for named ports;
//   - <a-b-c-d>.<ns>.pod.cluster.local: A (CoreDNS's "pods insecure");
//   - PTR for ClusterIPs and headless endpoints;
//   - NXDOMAIN (with the zone's SOA) for any other name in the zone, at
//     once, so search-path expansions cost nothing.
//
// Every answer comes from informer caches (Index), never from an API call.
// Names outside the zone are forwarded to the host's resolvers (Forwarder).
// Server serves both over UDP and TCP.
package dns
