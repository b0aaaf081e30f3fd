// Package proxy is the node's service proxy, in the kernel: it turns the
// cluster's Services and EndpointSlices into nftables rules, in the shape
// kube-proxy's nftables mode uses, in a table of its own ("ip mini-proxy"):
//
//	nat-prerouting, nat-output  -> services:
//	    ip daddr . meta l4proto . th dport vmap @service-ips
//	    fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @service-nodeports
//	service-<svc port>   (ClusterIP): mark non-pod sources for masquerade;
//	                     affinity lookups; numgen random mod N vmap { i: goto endpoint-i }
//	external-<svc port>  (NodePort, external IPs): mark for masquerade, goto service-...
//	endpoint-<svc port>__<ip>/<port>: mark hairpin (or same-bridge) sources for
//	                     masquerade; update @affinity-...; dnat to ip:port
//	nat-postrouting -> masquerading: masquerade what was marked
//	filter-{input,forward,output}: new connections to a service port without
//	                     endpoints, or to an unknown port of a ClusterIP, are rejected
//
// Build computes that rule set as plain data (Plan) from API objects; Write
// programs a Plan in one atomic nftables batch; Proxy watches the API and
// rebuilds after every change (debounced), from scratch after a restart.
// Session affinity sets are kept across rebuilds.
package proxy
