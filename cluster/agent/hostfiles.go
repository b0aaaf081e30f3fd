package agent

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/minidev/mini/cluster/agent/runtime"
	corev1 "k8s.io/api/core/v1"
)

// ClusterDomain is the cluster's DNS domain, as in Kubernetes.
const ClusterDomain = "cluster.local"

// podHostname is the pod's hostname: spec.hostname, else its name
// (truncated to 63 characters, as the kubelet does).
func podHostname(pod *corev1.Pod) string {
	h := pod.Spec.Hostname
	if h == "" {
		h = pod.Name
	}
	if len(h) > 63 {
		h = strings.TrimRight(h[:63], "-.")
	}
	return h
}

// hostsFile is /etc/hosts as the kubelet writes it for a pod.
func hostsFile(pod *corev1.Pod, ip string) string {
	var b strings.Builder
	b.WriteString("# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n")
	if ip != "" {
		h := podHostname(pod)
		if pod.Spec.Subdomain != "" {
			fmt.Fprintf(&b, "%s\t%s.%s.%s.svc.%s\t%s\n", ip, h, pod.Spec.Subdomain, pod.Namespace, ClusterDomain, h)
		} else {
			fmt.Fprintf(&b, "%s\t%s\n", ip, h)
		}
	}
	if len(pod.Spec.HostAliases) > 0 {
		b.WriteString("\n# Entries added by HostAliases.\n")
		for _, a := range pod.Spec.HostAliases {
			fmt.Fprintf(&b, "%s\t%s\n", a.IP, strings.Join(a.Hostnames, "\t"))
		}
	}
	return b.String()
}

// resolvConf is /etc/resolv.conf for the pod's dnsPolicy: ClusterFirst
// points at the cluster DNS with Kubernetes' search path and ndots:5;
// Default is the node's; None takes only dnsConfig.
func resolvConf(pod *corev1.Pod, dnsIP, nodeResolv string) string {
	var servers, search []string
	opts := []string{}
	policy := pod.Spec.DNSPolicy
	if pod.Spec.HostNetwork && policy == corev1.DNSClusterFirst {
		policy = corev1.DNSDefault
	}
	switch policy {
	case corev1.DNSNone:
	case corev1.DNSDefault:
		for _, l := range strings.Split(nodeResolv, "\n") {
			f := strings.Fields(l)
			if len(f) < 2 {
				continue
			}
			switch f[0] {
			case "nameserver":
				servers = append(servers, f[1])
			case "search":
				search = append(search, f[1:]...)
			case "options":
				opts = append(opts, f[1:]...)
			}
		}
	default: // ClusterFirst, ClusterFirstWithHostNet
		servers = []string{dnsIP}
		search = []string{pod.Namespace + ".svc." + ClusterDomain, "svc." + ClusterDomain, ClusterDomain}
		opts = []string{"ndots:5"}
	}
	if c := pod.Spec.DNSConfig; c != nil {
		servers = append(servers, c.Nameservers...)
		search = append(search, c.Searches...)
		for _, o := range c.Options {
			s := o.Name
			if o.Value != nil {
				s += ":" + *o.Value
			}
			opts = mergeOption(opts, s)
		}
	}
	var b strings.Builder
	if len(search) > 0 {
		fmt.Fprintf(&b, "search %s\n", strings.Join(search, " "))
	}
	for _, s := range servers {
		fmt.Fprintf(&b, "nameserver %s\n", s)
	}
	if len(opts) > 0 {
		fmt.Fprintf(&b, "options %s\n", strings.Join(opts, " "))
	}
	return b.String()
}

// mergeOption adds a resolver option, replacing one of the same name.
func mergeOption(opts []string, o string) []string {
	name, _, _ := strings.Cut(o, ":")
	for i, x := range opts {
		if n, _, _ := strings.Cut(x, ":"); n == name {
			opts[i] = o
			return opts
		}
	}
	return append(opts, o)
}

// writeHostFiles writes the pod's hosts, resolv.conf and hostname files,
// bind-mounted into each container.
func (p *pods) writeHostFiles(pod *corev1.Pod, st *podState) error {
	dir := filepath.Join(st.podDir, "etc")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	ip := ""
	if st.sandbox != nil && st.sandbox.IP != nil {
		ip = st.sandbox.IP.String()
	}
	nodeResolv, _ := os.ReadFile("/etc/resolv.conf")
	files := map[string]string{
		"hosts":       hostsFile(pod, ip),
		"resolv.conf": resolvConf(pod, p.dnsIP, string(nodeResolv)),
		"hostname":    podHostname(pod) + "\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			return err
		}
	}
	st.hostFiles = true
	return nil
}

func (p *pods) hostFileMounts(st *podState) []runtime.Mount {
	dir := filepath.Join(st.podDir, "etc")
	return []runtime.Mount{
		{Source: filepath.Join(dir, "hosts"), Destination: "/etc/hosts"},
		{Source: filepath.Join(dir, "resolv.conf"), Destination: "/etc/resolv.conf"},
		{Source: filepath.Join(dir, "hostname"), Destination: "/etc/hostname"},
	}
}
