package network

import (
	"net"
	"reflect"
	"strings"
	"testing"
)

func ips(m map[string]string) map[string]net.IP {
	out := make(map[string]net.IP, len(m))
	for k, v := range m {
		out[k] = net.ParseIP(v).To4()
	}
	return out
}

func TestDiffRoutes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		want, have map[string]string
		diff       routeDiff
	}{
		{name: "nothing", diff: routeDiff{}},
		{
			name: "all new",
			want: map[string]string{"10.244.3.0/24": "172.18.0.4", "10.244.2.0/24": "172.18.0.3"},
			diff: routeDiff{add: []string{"10.244.2.0/24", "10.244.3.0/24"}},
		},
		{
			name: "in place",
			want: map[string]string{"10.244.2.0/24": "172.18.0.3"},
			have: map[string]string{"10.244.2.0/24": "172.18.0.3"},
			diff: routeDiff{},
		},
		{
			name: "node moved, node gone, node added",
			want: map[string]string{"10.244.2.0/24": "172.18.0.9", "10.244.4.0/24": "172.18.0.5"},
			have: map[string]string{"10.244.2.0/24": "172.18.0.3", "10.244.3.0/24": "172.18.0.4"},
			diff: routeDiff{add: []string{"10.244.4.0/24"}, replace: []string{"10.244.2.0/24"}, del: []string{"10.244.3.0/24"}},
		},
		{
			name: "everything gone",
			have: map[string]string{"10.244.2.0/24": "172.18.0.3", "10.244.3.0/24": "172.18.0.4"},
			diff: routeDiff{del: []string{"10.244.2.0/24", "10.244.3.0/24"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := diffRoutes(ips(tc.want), ips(tc.have)); !reflect.DeepEqual(got, tc.diff) {
				t.Errorf("diffRoutes = %+v, want %+v", got, tc.diff)
			}
		})
	}
}

func TestWantedRoutes(t *testing.T) {
	t.Parallel()
	n, err := newNetwork(Config{PodCIDR: "10.244.1.0/24"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		in      map[string]net.IP
		want    map[string]string
		wantErr string
	}{
		{
			name: "own CIDR dropped, keys canonical",
			in: map[string]net.IP{
				"10.244.1.0/24": net.ParseIP("172.18.0.2"),
				"10.244.2.7/24": net.ParseIP("172.18.0.3"),
			},
			want: map[string]string{"10.244.2.0/24": "172.18.0.3"},
		},
		{name: "bad CIDR", in: map[string]net.IP{"10.244.2.0": net.ParseIP("172.18.0.3")}, wantErr: "route destination"},
		{name: "no gateway", in: map[string]net.IP{"10.244.2.0/24": nil}, wantErr: "not an IPv4 address"},
		{name: "IPv6 gateway", in: map[string]net.IP{"10.244.2.0/24": net.ParseIP("fd00::1")}, wantErr: "not an IPv4 address"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := n.wantedRoutes(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("wantedRoutes error = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, ips(tc.want)) {
				t.Errorf("wantedRoutes = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}
