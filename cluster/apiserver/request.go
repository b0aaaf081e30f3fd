package apiserver

import (
	"net/http"
	"strings"
)

// requestInfo is what a resource URL names.
type requestInfo struct {
	Group, Version      string
	Namespace, Resource string
	Name, Subresource   string
	Verb                string // get, list, watch, create, update, patch, delete, deletecollection
	legacyWatch         bool   // /api/v1/watch/... form
}

// parseRequest splits a resource path:
//
//	/api/v1[/watch][/namespaces/NS]/RESOURCE[/NAME[/SUB]]
//	/apis/GROUP/VERSION[/watch][/namespaces/NS]/RESOURCE[/NAME[/SUB]]
//
// ok is false for anything else (discovery paths are routed before).
func parseRequest(r *http.Request) (requestInfo, bool) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	var ri requestInfo
	switch {
	case len(parts) >= 3 && parts[0] == "api":
		ri.Version, parts = parts[1], parts[2:]
	case len(parts) >= 4 && parts[0] == "apis":
		ri.Group, ri.Version, parts = parts[1], parts[2], parts[3:]
	default:
		return ri, false
	}
	if parts[0] == "watch" {
		ri.legacyWatch, parts = true, parts[1:]
	}
	// /namespaces/NS/RESOURCE... but /namespaces and /namespaces/NAME[/status|finalize] name the namespace itself.
	if len(parts) >= 3 && parts[0] == "namespaces" && !(len(parts) == 3 && (parts[2] == "status" || parts[2] == "finalize")) {
		ri.Namespace, parts = parts[1], parts[2:]
	}
	if len(parts) == 0 || len(parts) > 3 || parts[0] == "" {
		return ri, false
	}
	ri.Resource = parts[0]
	if len(parts) > 1 {
		ri.Name = parts[1]
	}
	if len(parts) > 2 {
		ri.Subresource = parts[2]
	}
	ri.Verb = verbOf(r, ri)
	return ri, true
}

func verbOf(r *http.Request, ri requestInfo) string {
	watch := ri.legacyWatch || r.URL.Query().Get("watch") == "true" || r.URL.Query().Get("watch") == "1"
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		switch {
		case watch:
			return "watch"
		case ri.Name == "":
			return "list"
		}
		return "get"
	case http.MethodPost:
		return "create"
	case http.MethodPut:
		return "update"
	case http.MethodPatch:
		return "patch"
	case http.MethodDelete:
		if ri.Name == "" {
			return "deletecollection"
		}
		return "delete"
	}
	return ""
}
