package network

import (
	"net"
	"strings"
	"testing"
)

func TestNewNetworkConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
		wantGW  string
	}{
		{name: "defaults", cfg: Config{PodCIDR: "10.244.1.0/24"}, wantGW: "10.244.1.1"},
		{name: "address inside the CIDR is masked", cfg: Config{PodCIDR: "10.244.2.77/24"}, wantGW: "10.244.2.1"},
		{name: "custom cluster CIDR", cfg: Config{PodCIDR: "10.8.3.0/24", ClusterCIDR: "10.8.0.0/16"}, wantGW: "10.8.3.1"},
		{name: "missing pod CIDR", cfg: Config{}, wantErr: `pod CIDR ""`},
		{name: "IPv6", cfg: Config{PodCIDR: "fd00::/64"}, wantErr: "only IPv4"},
		{name: "too small", cfg: Config{PodCIDR: "10.244.1.0/31"}, wantErr: "too small"},
		{name: "outside the cluster", cfg: Config{PodCIDR: "10.245.1.0/24"}, wantErr: "not inside cluster CIDR 10.244.0.0/16"},
		{name: "wider than the cluster", cfg: Config{PodCIDR: "10.244.0.0/15", ClusterCIDR: "10.244.0.0/16"}, wantErr: "not inside"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			n, err := newNetwork(tc.cfg)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("newNetwork(%+v) error = %v, want one containing %q", tc.cfg, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := n.Gateway().String(); got != tc.wantGW {
				t.Errorf("Gateway() = %s, want %s", got, tc.wantGW)
			}
			if n.cfg.StateDir != DefaultStateDir || n.cfg.RunDir != DefaultRunDir || n.cfg.Log == nil {
				t.Errorf("defaults not applied: %+v", n.cfg)
			}
			if got := n.NetNSPath("uid-1"); got != DefaultRunDir+"/uid-1" {
				t.Errorf("NetNSPath = %s", got)
			}
		})
	}
}

func TestHostRange(t *testing.T) {
	t.Parallel()
	tests := []struct {
		cidr, first, last string
	}{
		{"10.244.1.0/24", "10.244.1.2", "10.244.1.254"},
		{"10.0.0.0/29", "10.0.0.2", "10.0.0.6"},
		{"10.1.0.0/16", "10.1.0.2", "10.1.255.254"},
	}
	for _, tc := range tests {
		_, ipn, _ := net.ParseCIDR(tc.cidr)
		f, l := hostRange(ipn)
		if u32ToIP(f).String() != tc.first || u32ToIP(l).String() != tc.last {
			t.Errorf("hostRange(%s) = %s..%s, want %s..%s", tc.cidr, u32ToIP(f), u32ToIP(l), tc.first, tc.last)
		}
	}
}
