package network

import (
	"net"
	"strings"
	"testing"
)

func TestVethName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		id, want string
	}{
		// sha256("") = e3b0c442...; sha256("abc") = ba7816bf...
		{"", "vethe3b0c442"},
		{"abc", "vethba7816bf"},
	}
	for _, tc := range tests {
		if got := vethName(tc.id); got != tc.want {
			t.Errorf("vethName(%q) = %s, want %s", tc.id, got, tc.want)
		}
	}
	uid := "0d5c8a8e-6c44-4b8e-9a57-3f1f7c1c2b1a"
	name := vethName(uid)
	if len(name) > 15 || !strings.HasPrefix(name, "veth") || len(name) != 12 {
		t.Errorf("vethName(%s) = %q: want veth + 8 hex digits, at most 15 bytes", uid, name)
	}
	if name != vethName(uid) || name == vethName(uid+"x") {
		t.Errorf("vethName is not a stable per-ID name: %s", name)
	}
}

func TestPodMAC(t *testing.T) {
	t.Parallel()
	tests := []struct {
		ip, want string
	}{
		{"10.244.1.5", "0a:58:0a:f4:01:05"},
		{"10.244.2.254", "0a:58:0a:f4:02:fe"},
	}
	for _, tc := range tests {
		mac := podMAC(net.ParseIP(tc.ip))
		if mac.String() != tc.want {
			t.Errorf("podMAC(%s) = %s, want %s", tc.ip, mac, tc.want)
		}
		if mac[0]&0x02 == 0 || mac[0]&0x01 != 0 {
			t.Errorf("podMAC(%s) = %s: want a locally administered unicast address", tc.ip, mac)
		}
	}
}

func TestCheckID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		id string
		ok bool
	}{
		{"0d5c8a8e-6c44-4b8e-9a57-3f1f7c1c2b1a", true},
		{"pod-a", true},
		{"", false},
		{".", false},
		{"..", false},
		{"a/b", false},
		{"a\x00b", false},
		{strings.Repeat("x", 256), false},
	}
	for _, tc := range tests {
		if err := checkID(tc.id); (err == nil) != tc.ok {
			t.Errorf("checkID(%q) = %v, want ok=%v", tc.id, err, tc.ok)
		}
	}
}
