package scheduler

import (
	corev1 "k8s.io/api/core/v1"
)

// hostPort is one port a pod takes on its node.
type hostPort struct {
	ip       string // "0.0.0.0" for all addresses
	protocol corev1.Protocol
	port     int32
}

// podHostPorts lists the host ports of the containers and of the init
// containers that run for the pod's life (sidecars), as schedutil.GetHostPorts.
func podHostPorts(p *corev1.Pod) []hostPort {
	var out []hostPort
	add := func(c *corev1.Container) {
		for _, cp := range c.Ports {
			if cp.HostPort <= 0 {
				continue
			}
			hp := hostPort{ip: cp.HostIP, protocol: cp.Protocol, port: cp.HostPort}
			if hp.ip == "" {
				hp.ip = "0.0.0.0"
			}
			if hp.protocol == "" {
				hp.protocol = corev1.ProtocolTCP
			}
			out = append(out, hp)
		}
	}
	for i := range p.Spec.InitContainers {
		c := &p.Spec.InitContainers[i]
		if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			add(c)
		}
	}
	for i := range p.Spec.Containers {
		add(&p.Spec.Containers[i])
	}
	return out
}

// conflicts is HostPortInfo.CheckConflict: same protocol and port, and the
// same address or either one is 0.0.0.0.
func (a hostPort) conflicts(b hostPort) bool {
	if a.protocol != b.protocol || a.port != b.port {
		return false
	}
	return a.ip == b.ip || a.ip == "0.0.0.0" || b.ip == "0.0.0.0"
}

// filterPorts is NodePorts: the pod's host ports must be free on the node.
func filterPorts(c *cycle, n *nodeInfo) []string {
	for _, want := range podHostPorts(c.pod) {
		for _, used := range n.ports {
			if want.conflicts(used) {
				return []string{"node(s) didn't have free ports for the requested pod ports"}
			}
		}
	}
	return nil
}
