package apiserver

import (
	"net/http"
	"strings"

	apidiscoveryv2 "k8s.io/api/apidiscovery/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// The content type of aggregated discovery; kubectl insists on it exactly.
const aggregatedDiscoveryType = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"

var objectVerbs = metav1.Verbs{"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"}

// subresourceVerbs are the verbs of each subresource mini knows.
var subresourceVerbs = map[string]metav1.Verbs{
	"status":      {"get", "patch", "update"},
	"finalize":    {"update"},
	"proxy":       {"create", "delete", "get", "patch", "update"},
	"scale":       {"get", "patch", "update"},
	"binding":     {"create"},
	"eviction":    {"create"},
	"log":         {"get"},
	"exec":        {"create", "get"},
	"attach":      {"create", "get"},
	"portforward": {"create", "get"},
}

// wantsAggregated reports whether the client accepts aggregated discovery v2.
func wantsAggregated(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		if strings.Contains(part, "g=apidiscovery.k8s.io") && strings.Contains(part, "v=v2") && !strings.Contains(part, "v=v2beta1") {
			return true
		}
	}
	return false
}

func (s *Server) discoveryCore(w http.ResponseWriter, r *http.Request) {
	if wantsAggregated(r) {
		s.writeAggregated(w, true)
		return
	}
	writeJSON(w, http.StatusOK, &metav1.APIVersions{
		TypeMeta:                   metav1.TypeMeta{Kind: "APIVersions"},
		Versions:                   []string{"v1"},
		ServerAddressByClientCIDRs: []metav1.ServerAddressByClientCIDR{{ClientCIDR: "0.0.0.0/0", ServerAddress: r.Host}},
	})
}

func (s *Server) discoveryGroups(w http.ResponseWriter, r *http.Request) {
	if wantsAggregated(r) {
		s.writeAggregated(w, false)
		return
	}
	list := &metav1.APIGroupList{TypeMeta: metav1.TypeMeta{Kind: "APIGroupList", APIVersion: "v1"}}
	for _, gv := range s.reg.groupVersions() {
		if gv.Group != "" {
			list.Groups = append(list.Groups, apiGroup(gv))
		}
	}
	writeJSON(w, http.StatusOK, list)
}

func apiGroup(gv schema.GroupVersion) metav1.APIGroup {
	v := metav1.GroupVersionForDiscovery{GroupVersion: gv.String(), Version: gv.Version}
	return metav1.APIGroup{Name: gv.Group, Versions: []metav1.GroupVersionForDiscovery{v}, PreferredVersion: v}
}

func (s *Server) discoveryGroup(w http.ResponseWriter, r *http.Request, group string) {
	for _, gv := range s.reg.groupVersions() {
		if gv.Group == group {
			g := apiGroup(gv)
			g.TypeMeta = metav1.TypeMeta{Kind: "APIGroup", APIVersion: "v1"}
			writeJSON(w, http.StatusOK, &g)
			return
		}
	}
	writeError(w, errNoResource())
}

func (s *Server) discoveryResources(w http.ResponseWriter, r *http.Request, group, version string) {
	list := &metav1.APIResourceList{
		TypeMeta:     metav1.TypeMeta{Kind: "APIResourceList", APIVersion: "v1"},
		GroupVersion: schema.GroupVersion{Group: group, Version: version}.String(),
	}
	for _, res := range s.reg.All() {
		if res.Group != group || res.Version != version {
			continue
		}
		list.APIResources = append(list.APIResources, metav1.APIResource{
			Name: res.Name, SingularName: res.Singular, Namespaced: res.Namespaced, Kind: res.Kind,
			Verbs: objectVerbs, ShortNames: res.ShortNames, Categories: res.Categories,
		})
		for _, sub := range res.Subresources {
			list.APIResources = append(list.APIResources, metav1.APIResource{
				Name: res.Name + "/" + sub, Namespaced: res.Namespaced, Kind: subresourceKind(res, sub), Verbs: subresourceVerbs[sub],
			})
		}
	}
	if list.APIResources == nil {
		writeError(w, errNoResource())
		return
	}
	writeJSON(w, http.StatusOK, list)
}

func subresourceKind(res *Resource, sub string) string {
	switch sub {
	case "scale":
		return "Scale"
	case "binding":
		return "Binding"
	case "eviction":
		return "Eviction"
	case "exec", "attach", "portforward":
		return map[string]string{"exec": "PodExecOptions", "attach": "PodAttachOptions", "portforward": "PodPortForwardOptions"}[sub]
	case "log":
		return "Pod"
	}
	return res.Kind
}

// writeAggregated answers /api (core) or /apis (the named groups) with an
// APIGroupDiscoveryList, so kubectl needs no request per group.
func (s *Server) writeAggregated(w http.ResponseWriter, core bool) {
	out := apidiscoveryv2.APIGroupDiscoveryList{TypeMeta: metav1.TypeMeta{Kind: "APIGroupDiscoveryList", APIVersion: "apidiscovery.k8s.io/v2"}}
	for _, gv := range s.reg.groupVersions() {
		if (gv.Group == "") != core {
			continue
		}
		v := apidiscoveryv2.APIVersionDiscovery{Version: gv.Version, Freshness: apidiscoveryv2.DiscoveryFreshnessCurrent}
		for _, res := range s.reg.All() {
			if res.Group != gv.Group || res.Version != gv.Version {
				continue
			}
			scope := apidiscoveryv2.ScopeCluster
			if res.Namespaced {
				scope = apidiscoveryv2.ScopeNamespace
			}
			rd := apidiscoveryv2.APIResourceDiscovery{
				Resource: res.Name, ResponseKind: &metav1.GroupVersionKind{Group: res.Group, Version: res.Version, Kind: res.Kind},
				Scope: scope, SingularResource: res.Singular, Verbs: objectVerbs, ShortNames: res.ShortNames, Categories: res.Categories,
			}
			for _, sub := range res.Subresources {
				rd.Subresources = append(rd.Subresources, apidiscoveryv2.APISubresourceDiscovery{
					Subresource: sub, ResponseKind: &metav1.GroupVersionKind{Group: res.Group, Version: res.Version, Kind: subresourceKind(res, sub)},
					Verbs: subresourceVerbs[sub],
				})
			}
			v.Resources = append(v.Resources, rd)
		}
		out.Items = append(out.Items, apidiscoveryv2.APIGroupDiscovery{ObjectMeta: metav1.ObjectMeta{Name: gv.Group}, Versions: []apidiscoveryv2.APIVersionDiscovery{v}})
	}
	w.Header().Set("Content-Type", aggregatedDiscoveryType)
	w.Header().Set("Vary", "Accept")
	writeJSONRaw(w, http.StatusOK, &out)
}
