package apiserver

import (
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	kruntime "k8s.io/apimachinery/pkg/runtime"
)

// `kubectl get` columns of the core kinds, as Kubernetes'
// pkg/printers/internalversion prints them (with -o wide, as the API
// server always renders). NAME comes first from table.go.

// ageColumn is AGE with Kubernetes' description.
var ageColumn = Column{Name: "Age", Type: "string", Description: metav1.ObjectMeta{}.SwaggerDoc()["creationTimestamp"]}

var serviceTable = &TableSpec{
	Columns: []Column{
		{Name: "Type", Type: "string", Description: corev1.ServiceSpec{}.SwaggerDoc()["type"]},
		{Name: "Cluster-IP", Type: "string", Description: corev1.ServiceSpec{}.SwaggerDoc()["clusterIP"]},
		{Name: "External-IP", Type: "string", Description: corev1.ServiceSpec{}.SwaggerDoc()["externalIPs"]},
		{Name: "Port(s)", Type: "string", Description: corev1.ServiceSpec{}.SwaggerDoc()["ports"]},
		ageColumn,
		{Name: "Selector", Type: "string", Priority: 1, Description: corev1.ServiceSpec{}.SwaggerDoc()["selector"]},
	},
	Cells: func(o kruntime.Object, now time.Time) []any {
		s := o.(*corev1.Service)
		clusterIP := "<none>"
		if len(s.Spec.ClusterIPs) > 0 {
			clusterIP = s.Spec.ClusterIPs[0]
		} else if s.Spec.ClusterIP != "" {
			clusterIP = s.Spec.ClusterIP
		}
		ports := make([]string, len(s.Spec.Ports))
		for i, p := range s.Spec.Ports {
			ports[i] = fmt.Sprintf("%d/%s", p.Port, p.Protocol)
			if p.NodePort > 0 {
				ports[i] = fmt.Sprintf("%d:%d/%s", p.Port, p.NodePort, p.Protocol)
			}
		}
		return []any{string(s.Spec.Type), clusterIP, serviceExternalIP(s), orNone(strings.Join(ports, ",")),
			age(s.CreationTimestamp, now), labels.FormatLabels(s.Spec.Selector)}
	},
}

// serviceExternalIP is getServiceExternalIP in wide mode.
func serviceExternalIP(s *corev1.Service) string {
	switch s.Spec.Type {
	case corev1.ServiceTypeClusterIP, corev1.ServiceTypeNodePort:
		return orNone(strings.Join(s.Spec.ExternalIPs, ","))
	case corev1.ServiceTypeLoadBalancer:
		var lb []string
		for _, in := range s.Status.LoadBalancer.Ingress {
			switch {
			case in.IP != "":
				lb = append(lb, in.IP)
			case in.Hostname != "":
				lb = append(lb, in.Hostname)
			}
		}
		slices.Sort(lb)
		lb = slices.Compact(lb)
		if all := append(lb, s.Spec.ExternalIPs...); len(all) > 0 {
			return strings.Join(all, ",")
		}
		return "<pending>"
	case corev1.ServiceTypeExternalName:
		return s.Spec.ExternalName
	}
	return "<unknown>"
}

var configMapTable = &TableSpec{
	Columns: []Column{{Name: "Data", Type: "string", Description: corev1.ConfigMap{}.SwaggerDoc()["data"]}, ageColumn},
	Cells: func(o kruntime.Object, now time.Time) []any {
		cm := o.(*corev1.ConfigMap)
		return []any{int64(len(cm.Data) + len(cm.BinaryData)), age(cm.CreationTimestamp, now)}
	},
}

var secretTable = &TableSpec{
	Columns: []Column{
		{Name: "Type", Type: "string", Description: corev1.Secret{}.SwaggerDoc()["type"]},
		{Name: "Data", Type: "string", Description: corev1.Secret{}.SwaggerDoc()["data"]},
		ageColumn,
	},
	Cells: func(o kruntime.Object, now time.Time) []any {
		s := o.(*corev1.Secret)
		return []any{string(s.Type), int64(len(s.Data)), age(s.CreationTimestamp, now)}
	},
}

var serviceAccountTable = &TableSpec{
	Columns: []Column{{Name: "Secrets", Type: "string", Description: corev1.ServiceAccount{}.SwaggerDoc()["secrets"]}, ageColumn},
	Cells: func(o kruntime.Object, now time.Time) []any {
		sa := o.(*corev1.ServiceAccount)
		return []any{int64(len(sa.Secrets)), age(sa.CreationTimestamp, now)}
	},
}

var endpointsTable = &TableSpec{
	Columns: []Column{{Name: "Endpoints", Type: "string", Description: corev1.Endpoints{}.SwaggerDoc()["subsets"]}, ageColumn},
	Cells: func(o kruntime.Object, now time.Time) []any {
		e := o.(*corev1.Endpoints)
		return []any{formatEndpoints(e), age(e.CreationTimestamp, now)}
	},
}

// formatEndpoints lists the first three ip:port pairs, then "+ N more...".
func formatEndpoints(e *corev1.Endpoints) string {
	if len(e.Subsets) == 0 {
		return "<none>"
	}
	const max = 3
	var list []string
	count := 0
	add := func(s string) {
		count++
		if len(list) < max {
			list = append(list, s)
		}
	}
	for _, ss := range e.Subsets {
		if len(ss.Ports) == 0 {
			for _, a := range ss.Addresses {
				add(a.IP)
			}
			continue
		}
		for _, p := range ss.Ports {
			for _, a := range ss.Addresses {
				add(net.JoinHostPort(a.IP, strconv.Itoa(int(p.Port))))
			}
		}
	}
	if count > max {
		return fmt.Sprintf("%s + %d more...", strings.Join(list, ","), count-max)
	}
	return strings.Join(list, ",")
}

var endpointSliceTable = &TableSpec{
	Columns: []Column{
		{Name: "AddressType", Type: "string", Description: discoveryv1.EndpointSlice{}.SwaggerDoc()["addressType"]},
		{Name: "Ports", Type: "string", Description: discoveryv1.EndpointSlice{}.SwaggerDoc()["ports"]},
		{Name: "Endpoints", Type: "string", Description: discoveryv1.EndpointSlice{}.SwaggerDoc()["endpoints"]},
		ageColumn,
	},
	Cells: func(o kruntime.Object, now time.Time) []any {
		s := o.(*discoveryv1.EndpointSlice)
		var ports, addrs []string
		for _, p := range s.Ports {
			switch {
			case p.Port != nil:
				ports = append(ports, strconv.Itoa(int(*p.Port)))
			case p.Name != nil:
				ports = append(ports, *p.Name)
			default:
				ports = append(ports, "*")
			}
		}
		for _, e := range s.Endpoints {
			addrs = append(addrs, e.Addresses...)
		}
		return []any{string(s.AddressType), listWithMore(ports), listWithMore(addrs), age(s.CreationTimestamp, now)}
	},
}

// listWithMore shows three items, then "+ N more...", or <unset>.
func listWithMore(items []string) string {
	const max = 3
	switch {
	case len(items) == 0:
		return "<unset>"
	case len(items) > max:
		return fmt.Sprintf("%s + %d more...", strings.Join(items[:max], ","), len(items)-max)
	}
	return strings.Join(items, ",")
}

var leaseTable = &TableSpec{
	Columns: []Column{{Name: "Holder", Type: "string", Description: coordinationv1.LeaseSpec{}.SwaggerDoc()["holderIdentity"]}, ageColumn},
	Cells: func(o kruntime.Object, now time.Time) []any {
		l := o.(*coordinationv1.Lease)
		holder := ""
		if l.Spec.HolderIdentity != nil {
			holder = *l.Spec.HolderIdentity
		}
		return []any{holder, age(l.CreationTimestamp, now)}
	},
}
