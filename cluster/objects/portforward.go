package objects

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/portforward"
	"k8s.io/client-go/transport/spdy"
)

// PortForward forwards local ports of 127.0.0.1 to a pod, or to a ready
// pod behind a Service (ports "LOCAL:REMOTE", or "PORT" for both), until
// ctx ends, as `kubectl port-forward`. ready, if not nil, gets the local
// ports once listening.
func (c *Client) PortForward(ctx context.Context, namespace, target string, ports []string, ready func([]portforward.ForwardedPort)) error {
	cs, err := kubernetes.NewForConfig(c.cfg)
	if err != nil {
		return err
	}
	kind, name, found := strings.Cut(target, "/")
	if !found {
		kind, name = "pod", target
	}
	var pod *corev1.Pod
	switch strings.ToLower(kind) {
	case "pod", "pods", "po":
		if pod, err = cs.CoreV1().Pods(namespace).Get(ctx, name, metav1.GetOptions{}); err != nil {
			return err
		}
	case "svc", "service", "services":
		svc, err := cs.CoreV1().Services(namespace).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if pod, err = readyPod(ctx, cs, svc); err != nil {
			return err
		}
		if ports, err = servicePorts(svc, pod, ports); err != nil {
			return err
		}
	default:
		return fmt.Errorf("port-forward to %q: name a pod (pod/NAME or NAME) or a service (svc/NAME)", target)
	}
	if pod.Status.Phase != corev1.PodRunning {
		return fmt.Errorf("pod %s is %s, not Running: nothing to forward to", pod.Name, pod.Status.Phase)
	}
	req := cs.CoreV1().RESTClient().Post().Resource("pods").Namespace(namespace).Name(pod.Name).SubResource("portforward")
	transport, upgrader, err := spdy.RoundTripperFor(c.cfg)
	if err != nil {
		return err
	}
	dialer := spdy.NewDialer(upgrader, &http.Client{Transport: transport}, http.MethodPost, req.URL())
	readyCh := make(chan struct{})
	fw, err := portforward.NewOnAddresses(dialer, []string{"127.0.0.1"}, ports, ctx.Done(), readyCh, c.out, c.out)
	if err != nil {
		return fmt.Errorf("port-forward to pod %s: %w", pod.Name, err)
	}
	if ready != nil {
		go func() {
			select {
			case <-readyCh:
				fp, _ := fw.GetPorts()
				ready(fp)
			case <-ctx.Done():
			}
		}()
	}
	return fw.ForwardPorts()
}

// readyPod picks a Running, Ready pod the service selects.
func readyPod(ctx context.Context, cs kubernetes.Interface, svc *corev1.Service) (*corev1.Pod, error) {
	if len(svc.Spec.Selector) == 0 {
		return nil, fmt.Errorf("service %s has no selector: forward to one of its pods instead", svc.Name)
	}
	l, err := cs.CoreV1().Pods(svc.Namespace).List(ctx, metav1.ListOptions{LabelSelector: labels.SelectorFromSet(svc.Spec.Selector).String()})
	if err != nil {
		return nil, err
	}
	for i := range l.Items {
		p := &l.Items[i]
		if p.DeletionTimestamp != nil || p.Status.Phase != corev1.PodRunning {
			continue
		}
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
				return p, nil
			}
		}
	}
	return nil, fmt.Errorf("service %s has no Running and Ready pod", svc.Name)
}

// servicePorts turns "LOCAL:SERVICEPORT" into "LOCAL:CONTAINERPORT" of pod,
// as kubectl does: the service port's targetPort, a name resolved in pod.
func servicePorts(svc *corev1.Service, pod *corev1.Pod, ports []string) ([]string, error) {
	out := make([]string, 0, len(ports))
	for _, p := range ports {
		local, remote, found := strings.Cut(p, ":")
		if !found {
			remote = local
		}
		n, err := strconv.Atoi(remote)
		if err != nil {
			return nil, fmt.Errorf("port %q: want LOCAL:REMOTE or PORT", p)
		}
		var sp *corev1.ServicePort
		for i := range svc.Spec.Ports {
			if int(svc.Spec.Ports[i].Port) == n {
				sp = &svc.Spec.Ports[i]
			}
		}
		if sp == nil {
			return nil, fmt.Errorf("service %s has no port %d", svc.Name, n)
		}
		target := int(sp.Port)
		switch {
		case sp.TargetPort.Type == intstr.Int && sp.TargetPort.IntVal != 0:
			target = int(sp.TargetPort.IntVal)
		case sp.TargetPort.Type == intstr.String:
			target = 0
			for _, c := range pod.Spec.Containers {
				for _, cp := range c.Ports {
					if cp.Name == sp.TargetPort.StrVal {
						target = int(cp.ContainerPort)
					}
				}
			}
			if target == 0 {
				return nil, fmt.Errorf("pod %s has no port named %q (service %s port %d)", pod.Name, sp.TargetPort.StrVal, svc.Name, n)
			}
		}
		out = append(out, local+":"+strconv.Itoa(target))
	}
	return out, nil
}
