package apiserver

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	kruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Validation of Services, after Kubernetes' ValidateService. The cluster
// IP and node port allocation checks belong to the allocator.

func validateServiceHook(obj, old kruntime.Object) field.ErrorList {
	svc := obj.(*corev1.Service)
	if old != nil && specUnchanged(&svc.Spec, &old.(*corev1.Service).Spec) {
		return nil
	}
	s, path := &svc.Spec, field.NewPath("spec")
	headless := len(s.ClusterIPs) > 0 && s.ClusterIPs[0] == corev1.ClusterIPNone || s.ClusterIP == corev1.ClusterIPNone
	var errs field.ErrorList
	if len(s.Ports) == 0 && !headless && s.Type != corev1.ServiceTypeExternalName {
		errs = append(errs, field.Required(path.Child("ports"), ""))
	}
	if s.Type == corev1.ServiceTypeExternalName {
		if len(s.ClusterIPs) > 0 {
			errs = append(errs, field.Forbidden(path.Child("clusterIPs"), "may not be set for ExternalName services"))
		}
		if cname := strings.TrimSuffix(s.ExternalName, "."); cname != "" {
			errs = append(errs, invalidEach(path.Child("externalName"), cname, validation.IsDNS1123Subdomain(cname))...)
		} else {
			errs = append(errs, field.Required(path.Child("externalName"), ""))
		}
	}
	portsPath := path.Child("ports")
	names := map[string]bool{}
	for i := range s.Ports {
		errs = append(errs, validateServicePort(&s.Ports[i], len(s.Ports) > 1, names, portsPath.Index(i))...)
	}
	if s.Selector != nil {
		errs = append(errs, metav1validation.ValidateLabels(s.Selector, path.Child("selector"))...)
	}
	errs = append(errs, validateEnum(path.Child("sessionAffinity"), s.SessionAffinity, corev1.ServiceAffinityClientIP, corev1.ServiceAffinityNone)...)
	errs = append(errs, validateEnum(path.Child("type"), s.Type, corev1.ServiceTypeClusterIP, corev1.ServiceTypeExternalName,
		corev1.ServiceTypeLoadBalancer, corev1.ServiceTypeNodePort)...)
	if s.Type == corev1.ServiceTypeClusterIP || s.Type == corev1.ServiceTypeExternalName {
		for i, p := range s.Ports {
			if p.NodePort != 0 {
				errs = append(errs, field.Forbidden(portsPath.Index(i).Child("nodePort"), fmt.Sprintf("may not be used when `type` is '%s'", s.Type)))
			}
		}
	}
	nodePorts, ports := map[corev1.ServicePort]bool{}, map[corev1.ServicePort]bool{}
	for i, p := range s.Ports {
		if p.NodePort != 0 {
			key := corev1.ServicePort{Protocol: p.Protocol, NodePort: p.NodePort}
			if nodePorts[key] {
				errs = append(errs, field.Duplicate(portsPath.Index(i).Child("nodePort"), p.NodePort))
			}
			nodePorts[key] = true
		}
		key := corev1.ServicePort{Protocol: p.Protocol, Port: p.Port}
		if ports[key] {
			errs = append(errs, field.Duplicate(portsPath.Index(i), key))
		}
		ports[key] = true
	}
	return errs
}

// validateServicePort: a DNS-label name (required when the service has
// more ports), unique; port 1-65535; a known protocol; a valid targetPort.
func validateServicePort(p *corev1.ServicePort, requireName bool, names map[string]bool, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	switch {
	case requireName && p.Name == "":
		errs = append(errs, field.Required(path.Child("name"), ""))
	case p.Name != "":
		errs = append(errs, invalidEach(path.Child("name"), p.Name, validation.IsDNS1123Label(p.Name))...)
		if names[p.Name] {
			errs = append(errs, field.Duplicate(path.Child("name"), p.Name))
		}
		names[p.Name] = true
	}
	errs = append(errs, invalidEach(path.Child("port"), p.Port, validation.IsValidPortNum(int(p.Port)))...)
	errs = append(errs, validateEnum(path.Child("protocol"), p.Protocol, corev1.ProtocolSCTP, corev1.ProtocolTCP, corev1.ProtocolUDP)...)
	errs = append(errs, validatePortNumOrName(p.TargetPort, path.Child("targetPort"))...)
	if p.NodePort != 0 {
		errs = append(errs, invalidEach(path.Child("nodePort"), p.NodePort, validation.IsValidPortNum(int(p.NodePort)))...)
	}
	if p.AppProtocol != nil {
		errs = append(errs, invalidEach(path.Child("appProtocol"), *p.AppProtocol, validation.IsQualifiedName(*p.AppProtocol))...)
	}
	return errs
}
