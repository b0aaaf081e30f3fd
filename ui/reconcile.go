package ui

import (
	"strings"
	"time"

	"github.com/minidev/mini/ui/data"
	"github.com/minidev/mini/ui/views"
)

// podCounts sums each workload's pods by what they are doing. A pod
// belongs to a Deployment through its ReplicaSet, named <deployment>-<hash>.
func (m *Model) podCounts() map[data.Key]views.PodCounts {
	pulling := m.pulling()
	out := map[data.Key]views.PodCounts{}
	for pk, p := range m.pods {
		if p.Owner.Kind == "" || !m.inNamespace(p.Namespace) {
			continue
		}
		k := data.Key{Kind: data.KindWorkload, Sub: p.Owner.Kind, Namespace: p.Namespace, Name: p.Owner.Name}
		if p.Owner.Kind == "ReplicaSet" {
			i := strings.LastIndexByte(p.Owner.Name, '-')
			if i <= 0 {
				continue
			}
			k.Sub, k.Name = "Deployment", p.Owner.Name[:i]
		}
		c := out[k]
		c.Count(p, pulling[pk])
		out[k] = c
	}
	return out
}

// pulling is the image each pod is pulling now, from its events: a
// kubelet "Pulling" event with nothing after it that says the pull is
// over (Pulled, Failed, BackOff, Created, Started). Events carry times to
// the second, so a pull that ended within the second it began counts as
// over.
func (m *Model) pulling() map[data.Key]string {
	type pull struct {
		image      string
		began, end time.Time
	}
	ps := map[data.Key]*pull{}
	get := func(e data.Event) *pull {
		k := data.Key{Kind: data.KindPod, Namespace: e.Namespace, Name: e.ObjectName}
		p := ps[k]
		if p == nil {
			p = &pull{}
			ps[k] = p
		}
		return p
	}
	for _, e := range m.events {
		if e.ObjectKind != "Pod" {
			continue
		}
		switch e.Reason {
		case "Pulling":
			if p := get(e); !e.Last.Before(p.began) {
				p.began, p.image = e.Last, views.PullingImage(e.Message)
			}
		case "Pulled", "Failed", "BackOff", "Created", "Started", "ErrImagePull", "ImagePullBackOff":
			if p := get(e); e.Last.After(p.end) {
				p.end = e.Last
			}
		}
	}
	out := map[data.Key]string{}
	for k, p := range ps {
		if p.image != "" && p.began.After(p.end) {
			out[k] = p.image
		}
	}
	return out
}
