package docker

import (
	"slices"
	"testing"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/mount"
)

func TestNodeConfig(t *testing.T) {
	t.Parallel()
	spec := NodeSpec{
		Name:     "mini-dev-node-1",
		Hostname: "node-1",
		Image:    "mini-node:0123456789ab",
		Network:  "mini-dev",
		Labels:   map[string]string{LabelCluster: "dev", LabelRole: RoleNode, LabelNode: "node-1"},
		Env:      map[string]string{"B": "2", "A": "1"},
		Cmd:      []string{"agent"},
		Volume:   "mini-dev-node-1",
	}
	for _, privileged := range []bool{true, false} {
		cfg, hc, nc := nodeConfig(spec, privileged)

		if cfg.Hostname != "node-1" || cfg.Image != spec.Image || !slices.Equal(cfg.Cmd, []string{"agent"}) {
			t.Errorf("privileged=%v: config %+v", privileged, cfg)
		}
		if !slices.Equal(cfg.Env, []string{"A=1", "B=2"}) {
			t.Errorf("privileged=%v: env %v, want sorted A=1 B=2", privileged, cfg.Env)
		}
		if cfg.Labels[LabelNetwork] != "mini-dev" || cfg.Labels[LabelCluster] != "dev" {
			t.Errorf("privileged=%v: labels %v", privileged, cfg.Labels)
		}
		if _, ok := spec.Labels[LabelNetwork]; ok {
			t.Error("nodeConfig changed spec.Labels")
		}
		if hc.RestartPolicy.Name != container.RestartPolicyUnlessStopped {
			t.Errorf("privileged=%v: restart policy %q", privileged, hc.RestartPolicy.Name)
		}
		if hc.Init == nil || *hc.Init {
			t.Errorf("privileged=%v: Init %v, want false", privileged, hc.Init)
		}
		if _, ok := hc.Tmpfs["/run"]; !ok {
			t.Errorf("privileged=%v: no tmpfs on /run", privileged)
		}
		if _, ok := hc.Tmpfs["/tmp"]; !ok {
			t.Errorf("privileged=%v: no tmpfs on /tmp", privileged)
		}
		if string(hc.NetworkMode) != "mini-dev" || nc.EndpointsConfig["mini-dev"] == nil ||
			!slices.Equal(nc.EndpointsConfig["mini-dev"].Aliases, []string{"node-1"}) {
			t.Errorf("privileged=%v: network %q %+v", privileged, hc.NetworkMode, nc.EndpointsConfig)
		}
		if !slices.ContainsFunc(hc.Mounts, func(m mount.Mount) bool {
			return m.Type == mount.TypeVolume && m.Source == spec.Volume && m.Target == NodeStateDir
		}) {
			t.Errorf("privileged=%v: no volume at %s in %+v", privileged, NodeStateDir, hc.Mounts)
		}
		cgroupBind := slices.ContainsFunc(hc.Mounts, func(m mount.Mount) bool {
			return m.Type == mount.TypeBind && m.Target == "/sys/fs/cgroup" && !m.ReadOnly
		})

		if privileged {
			if !hc.Privileged || len(hc.CapAdd) != 0 || cgroupBind {
				t.Errorf("privileged: %+v", hc)
			}
			continue
		}
		if hc.Privileged {
			t.Error("fallback: Privileged set")
		}
		if !slices.Equal(hc.CapAdd, []string{"ALL"}) || !slices.Equal(hc.CapDrop, []string{"SYS_RESOURCE"}) {
			t.Errorf("fallback: caps add %v drop %v", hc.CapAdd, hc.CapDrop)
		}
		for _, opt := range []string{"seccomp=unconfined", "apparmor=unconfined"} {
			if !slices.Contains(hc.SecurityOpt, opt) {
				t.Errorf("fallback: security options %v lack %s", hc.SecurityOpt, opt)
			}
		}
		if hc.MaskedPaths == nil || len(hc.MaskedPaths) != 0 || hc.ReadonlyPaths == nil || len(hc.ReadonlyPaths) != 0 {
			t.Errorf("fallback: masked paths %#v read-only paths %#v, want both empty and not nil", hc.MaskedPaths, hc.ReadonlyPaths)
		}
		if !cgroupBind {
			t.Errorf("fallback: no read-write bind of /sys/fs/cgroup in %+v", hc.Mounts)
		}
	}
}

func TestNodeConfigMinimal(t *testing.T) {
	t.Parallel()
	cfg, hc, nc := nodeConfig(NodeSpec{Name: "n", Image: "img"}, true)
	if len(cfg.Labels) != 0 || len(hc.Mounts) != 0 || len(nc.EndpointsConfig) != 0 {
		t.Errorf("minimal spec: labels %v mounts %v endpoints %v", cfg.Labels, hc.Mounts, nc.EndpointsConfig)
	}
}

func TestLabelArgs(t *testing.T) {
	t.Parallel()
	args := labelArgs(map[string]string{LabelCluster: "dev", LabelRole: ""})
	got := args.Get("label")
	slices.Sort(got)
	want := []string{LabelCluster + "=dev", LabelRole}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("labelArgs = %v, want %v", got, want)
	}
}
