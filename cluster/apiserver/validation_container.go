package apiserver

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Validation of containers, after Kubernetes' validateContainers,
// validateInitContainers and validateContainerCommon.

const initNoRestartForbids = "may not be set for init containers without restartPolicy=Always"

func validateContainers(containers []corev1.Container, volumes map[string]corev1.VolumeSource, path *field.Path) field.ErrorList {
	if len(containers) == 0 {
		return field.ErrorList{field.Required(path, "")}
	}
	var errs field.ErrorList
	names := map[string]bool{}
	for i := range containers {
		c, p := &containers[i], path.Index(i)
		errs = append(errs, validateContainer(c, volumes, p)...)
		if names[c.Name] {
			errs = append(errs, field.Duplicate(p.Child("name"), c.Name))
		}
		names[c.Name] = true
		errs = append(errs, validateLifecycle(c.Lifecycle, p.Child("lifecycle"))...)
		errs = append(errs, validateProbe(c.LivenessProbe, p.Child("livenessProbe"), true)...)
		errs = append(errs, validateProbe(c.ReadinessProbe, p.Child("readinessProbe"), false)...)
		errs = append(errs, validateProbe(c.StartupProbe, p.Child("startupProbe"), true)...)
		if c.RestartPolicy != nil {
			errs = append(errs, field.Forbidden(p.Child("restartPolicy"), "may not be set for non-init containers"))
		}
	}
	return errs
}

// validateInitContainers also checks that init container names differ
// from the main containers'; sidecars (restartPolicy Always) may have
// probes and lifecycle hooks, other init containers may not.
func validateInitContainers(containers, main []corev1.Container, volumes map[string]corev1.VolumeSource, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	names := map[string]bool{}
	for _, c := range main {
		names[c.Name] = true
	}
	for i := range containers {
		c, p := &containers[i], path.Index(i)
		errs = append(errs, validateContainer(c, volumes, p)...)
		sidecar := false
		if c.RestartPolicy != nil {
			errs = append(errs, validateEnum(p.Child("restartPolicy"), *c.RestartPolicy, corev1.ContainerRestartPolicyAlways)...)
			sidecar = *c.RestartPolicy == corev1.ContainerRestartPolicyAlways
		}
		if names[c.Name] {
			errs = append(errs, field.Duplicate(p.Child("name"), c.Name))
		} else if c.Name != "" {
			names[c.Name] = true
		}
		if !sidecar {
			for _, f := range []struct {
				name string
				set  bool
			}{{"lifecycle", c.Lifecycle != nil}, {"livenessProbe", c.LivenessProbe != nil},
				{"readinessProbe", c.ReadinessProbe != nil}, {"startupProbe", c.StartupProbe != nil}} {
				if f.set {
					errs = append(errs, field.Forbidden(p.Child(f.name), initNoRestartForbids))
				}
			}
			continue
		}
		errs = append(errs, validateLifecycle(c.Lifecycle, p.Child("lifecycle"))...)
		errs = append(errs, validateProbe(c.LivenessProbe, p.Child("livenessProbe"), true)...)
		errs = append(errs, validateProbe(c.ReadinessProbe, p.Child("readinessProbe"), false)...)
		errs = append(errs, validateProbe(c.StartupProbe, p.Child("startupProbe"), true)...)
	}
	return errs
}

// validateContainer is validateContainerCommon.
func validateContainer(c *corev1.Container, volumes map[string]corev1.VolumeSource, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	if c.Name == "" {
		errs = append(errs, field.Required(path.Child("name"), ""))
	} else {
		errs = append(errs, invalidEach(path.Child("name"), c.Name, validation.IsDNS1123Label(c.Name))...)
	}
	if c.Image == "" {
		errs = append(errs, field.Required(path.Child("image"), ""))
	}
	errs = append(errs, validateEnum(path.Child("terminationMessagePolicy"), c.TerminationMessagePolicy,
		corev1.TerminationMessageReadFile, corev1.TerminationMessageFallbackToLogsOnError)...)
	errs = append(errs, validateContainerPorts(c.Ports, path.Child("ports"))...)
	for i, e := range c.Env {
		if e.Name == "" {
			errs = append(errs, field.Required(path.Child("env").Index(i).Child("name"), ""))
		}
	}
	errs = append(errs, validateVolumeMounts(c.VolumeMounts, volumes, path.Child("volumeMounts"))...)
	errs = append(errs, validateEnum(path.Child("imagePullPolicy"), c.ImagePullPolicy,
		corev1.PullAlways, corev1.PullIfNotPresent, corev1.PullNever)...)
	errs = append(errs, validateResources(&c.Resources, path.Child("resources"))...)
	return errs
}

// validateContainerPorts: names IANA_SVC_NAME and unique, port numbers
// 1-65535, a known protocol.
func validateContainerPorts(ports []corev1.ContainerPort, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	names := map[string]bool{}
	for i, port := range ports {
		p := path.Index(i)
		if port.Name != "" {
			if msgs := validation.IsValidPortName(port.Name); len(msgs) > 0 {
				errs = append(errs, invalidEach(p.Child("name"), port.Name, msgs)...)
			} else if names[port.Name] {
				errs = append(errs, field.Duplicate(p.Child("name"), port.Name))
			} else {
				names[port.Name] = true
			}
		}
		if port.ContainerPort == 0 {
			errs = append(errs, field.Required(p.Child("containerPort"), ""))
		} else {
			errs = append(errs, invalidEach(p.Child("containerPort"), port.ContainerPort, validation.IsValidPortNum(int(port.ContainerPort)))...)
		}
		if port.HostPort != 0 {
			errs = append(errs, invalidEach(p.Child("hostPort"), port.HostPort, validation.IsValidPortNum(int(port.HostPort)))...)
		}
		errs = append(errs, validateEnum(p.Child("protocol"), port.Protocol, corev1.ProtocolSCTP, corev1.ProtocolTCP, corev1.ProtocolUDP)...)
	}
	return errs
}

// validateVolumeMounts: each mount names a volume of the pod, at a unique path.
func validateVolumeMounts(mounts []corev1.VolumeMount, volumes map[string]corev1.VolumeSource, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	paths := map[string]bool{}
	for i, m := range mounts {
		p := path.Index(i)
		if m.Name == "" {
			errs = append(errs, field.Required(p.Child("name"), ""))
		}
		if _, ok := volumes[m.Name]; !ok {
			errs = append(errs, field.NotFound(p.Child("name"), m.Name))
		}
		if m.MountPath == "" {
			errs = append(errs, field.Required(p.Child("mountPath"), ""))
		}
		if paths[m.MountPath] {
			errs = append(errs, field.Invalid(p.Child("mountPath"), m.MountPath, "must be unique"))
		}
		paths[m.MountPath] = true
	}
	return errs
}

// validateResources is ValidateResourceRequirements: no negative
// quantities, requests at most limits (equal for resources that cannot be
// overcommitted, like hugepages and extended resources).
func validateResources(r *corev1.ResourceRequirements, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	limPath, reqPath := path.Child("limits"), path.Child("requests")
	for _, name := range sortedResourceNames(r.Limits) {
		if q := r.Limits[name]; q.Sign() < 0 {
			errs = append(errs, field.Invalid(limPath.Key(string(name)), q.String(), apivalidation.IsNegativeErrorMsg))
		}
	}
	for _, name := range sortedResourceNames(r.Requests) {
		q := r.Requests[name]
		if q.Sign() < 0 {
			errs = append(errs, field.Invalid(reqPath.Key(string(name)), q.String(), apivalidation.IsNegativeErrorMsg))
		}
		limit, ok := r.Limits[name]
		switch {
		case ok && q.Cmp(limit) != 0 && !overcommitAllowed(name):
			errs = append(errs, field.Invalid(reqPath, q.String(), fmt.Sprintf("must be equal to %s limit of %s", name, limit.String())))
		case ok && q.Cmp(limit) > 0:
			errs = append(errs, field.Invalid(reqPath, q.String(), fmt.Sprintf("must be less than or equal to %s limit of %s", name, limit.String())))
		case !ok && !overcommitAllowed(name):
			errs = append(errs, field.Required(limPath, "Limit must be set for non overcommitable resources"))
		}
	}
	return errs
}

// overcommitAllowed: native resources but hugepages may be requested
// below their limit.
func overcommitAllowed(name corev1.ResourceName) bool {
	native := !strings.Contains(string(name), "/") || strings.Contains(string(name), corev1.ResourceDefaultNamespacePrefix)
	return native && !strings.HasPrefix(string(name), corev1.ResourceHugePagesPrefix)
}

func sortedResourceNames(list corev1.ResourceList) []corev1.ResourceName {
	keys := make([]corev1.ResourceName, 0, len(list))
	for k := range list {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// validateProbe checks one handler and non-negative numbers; liveness and
// startup probes must have successThreshold 1.
func validateProbe(probe *corev1.Probe, path *field.Path, successMustBeOne bool) field.ErrorList {
	if probe == nil {
		return nil
	}
	h := probe.ProbeHandler
	errs := validateHandler(path, map[string]bool{
		"exec": h.Exec != nil, "httpGet": h.HTTPGet != nil, "tcpSocket": h.TCPSocket != nil, "grpc": h.GRPC != nil,
	}, h.HTTPGet, h.TCPSocket)
	for _, f := range []struct {
		name  string
		value int32
	}{{"initialDelaySeconds", probe.InitialDelaySeconds}, {"timeoutSeconds", probe.TimeoutSeconds},
		{"periodSeconds", probe.PeriodSeconds}, {"successThreshold", probe.SuccessThreshold}, {"failureThreshold", probe.FailureThreshold}} {
		errs = append(errs, apivalidation.ValidateNonnegativeField(int64(f.value), path.Child(f.name))...)
	}
	if g := probe.TerminationGracePeriodSeconds; g != nil && *g <= 0 {
		errs = append(errs, field.Invalid(path.Child("terminationGracePeriodSeconds"), *g, "must be greater than 0"))
	}
	if h.GRPC != nil {
		errs = append(errs, invalidEach(path.Child("grpc", "port"), h.GRPC.Port, validation.IsValidPortNum(int(h.GRPC.Port)))...)
	}
	if successMustBeOne && probe.SuccessThreshold != 1 {
		errs = append(errs, field.Invalid(path.Child("successThreshold"), probe.SuccessThreshold, "must be 1"))
	}
	return errs
}

func validateLifecycle(l *corev1.Lifecycle, path *field.Path) field.ErrorList {
	if l == nil {
		return nil
	}
	var errs field.ErrorList
	for _, hook := range []struct {
		name string
		h    *corev1.LifecycleHandler
	}{{"postStart", l.PostStart}, {"preStop", l.PreStop}} {
		if hook.h == nil {
			continue
		}
		errs = append(errs, validateHandler(path.Child(hook.name), map[string]bool{
			"exec": hook.h.Exec != nil, "httpGet": hook.h.HTTPGet != nil, "tcpSocket": hook.h.TCPSocket != nil, "sleep": hook.h.Sleep != nil,
		}, hook.h.HTTPGet, hook.h.TCPSocket)...)
	}
	return errs
}

// handlerOrder is the order Kubernetes checks handler types in.
var handlerOrder = []string{"exec", "httpGet", "tcpSocket", "grpc", "sleep"}

// validateHandler requires exactly one handler type and valid ports.
func validateHandler(path *field.Path, set map[string]bool, httpGet *corev1.HTTPGetAction, tcp *corev1.TCPSocketAction) field.ErrorList {
	var errs field.ErrorList
	n := 0
	for _, name := range handlerOrder {
		if !set[name] {
			continue
		}
		if n > 0 {
			errs = append(errs, field.Forbidden(path.Child(name), "may not specify more than 1 handler type"))
		}
		n++
	}
	if n == 0 {
		return field.ErrorList{field.Required(path, "must specify a handler type")}
	}
	if httpGet != nil {
		errs = append(errs, validatePortNumOrName(httpGet.Port, path.Child("httpGet", "port"))...)
		errs = append(errs, validateEnum(path.Child("httpGet", "scheme"), httpGet.Scheme, corev1.URISchemeHTTP, corev1.URISchemeHTTPS)...)
	}
	if tcp != nil {
		errs = append(errs, validatePortNumOrName(tcp.Port, path.Child("tcpSocket", "port"))...)
	}
	return errs
}

// validatePortNumOrName is ValidatePortNumOrName.
func validatePortNumOrName(port intstr.IntOrString, path *field.Path) field.ErrorList {
	if port.Type == intstr.String {
		return invalidEach(path, port.StrVal, validation.IsValidPortName(port.StrVal))
	}
	return invalidEach(path, port.IntValue(), validation.IsValidPortNum(port.IntValue()))
}
