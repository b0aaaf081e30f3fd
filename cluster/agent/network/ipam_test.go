package network

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func testIPAM(t *testing.T, dir, cidr string) *ipam {
	t.Helper()
	_, ipn, err := net.ParseCIDR(cidr)
	if err != nil {
		t.Fatal(err)
	}
	a, err := newIPAM(dir, ipn)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// step is one IPAM operation: allocate (want an IP or an error containing
// wantErr) or release.
type step struct {
	op, id  string
	want    string
	wantErr string
}

func TestIPAM(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		cidr  string
		steps []step
	}{
		{"lowest free first, skipping network and gateway", "10.244.1.0/24", []step{
			{op: "alloc", id: "a", want: "10.244.1.2"},
			{op: "alloc", id: "b", want: "10.244.1.3"},
			{op: "alloc", id: "c", want: "10.244.1.4"},
		}},
		{"same ID gets its IP again", "10.244.1.0/24", []step{
			{op: "alloc", id: "a", want: "10.244.1.2"},
			{op: "alloc", id: "b", want: "10.244.1.3"},
			{op: "alloc", id: "a", want: "10.244.1.2"},
		}},
		{"released IP is reused, lowest first", "10.244.1.0/24", []step{
			{op: "alloc", id: "a", want: "10.244.1.2"},
			{op: "alloc", id: "b", want: "10.244.1.3"},
			{op: "alloc", id: "c", want: "10.244.1.4"},
			{op: "release", id: "b"},
			{op: "release", id: "b"}, // idempotent
			{op: "release", id: "never-seen"},
			{op: "alloc", id: "d", want: "10.244.1.3"},
			{op: "alloc", id: "e", want: "10.244.1.5"},
		}},
		{"exhaustion names the CIDR, never broadcast", "10.0.0.0/29", []step{
			{op: "alloc", id: "a", want: "10.0.0.2"},
			{op: "alloc", id: "b", want: "10.0.0.3"},
			{op: "alloc", id: "c", want: "10.0.0.4"},
			{op: "alloc", id: "d", want: "10.0.0.5"},
			{op: "alloc", id: "e", want: "10.0.0.6"},
			{op: "alloc", id: "f", wantErr: "no free address left in 10.0.0.0/29"},
			{op: "release", id: "c"},
			{op: "alloc", id: "f", want: "10.0.0.4"},
		}},
		{"a /30 holds one pod", "192.168.7.4/30", []step{
			{op: "alloc", id: "a", want: "192.168.7.6"},
			{op: "alloc", id: "b", wantErr: "192.168.7.4/30"},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := testIPAM(t, t.TempDir(), tc.cidr)
			for i, s := range tc.steps {
				switch s.op {
				case "alloc":
					ip, err := a.Allocate(s.id)
					if s.wantErr != "" {
						if err == nil || !strings.Contains(err.Error(), s.wantErr) {
							t.Fatalf("step %d: Allocate(%s) = %v, %v; want error containing %q", i, s.id, ip, err, s.wantErr)
						}
						continue
					}
					if err != nil || ip.String() != s.want {
						t.Fatalf("step %d: Allocate(%s) = %v, %v; want %s", i, s.id, ip, err, s.want)
					}
				case "release":
					if err := a.Release(s.id); err != nil {
						t.Fatalf("step %d: Release(%s): %v", i, s.id, err)
					}
				}
			}
		})
	}
}

func TestIPAMSurvivesRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	first := testIPAM(t, dir, "10.244.2.0/24")
	for _, id := range []string{"pod-b", "pod-a", "pod-c"} {
		if _, err := first.Allocate(id); err != nil {
			t.Fatal(err)
		}
	}
	if err := first.Release("pod-a"); err != nil {
		t.Fatal(err)
	}
	// A file in the directory that is no allocation of this CIDR is ignored.
	if err := os.WriteFile(filepath.Join(dir, "lock"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "10.9.9.9"), []byte("other"), 0o644); err != nil {
		t.Fatal(err)
	}

	again := testIPAM(t, dir, "10.244.2.0/24") // a new process after a restart
	ids, err := again.IDs()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(ids, ","); got != "pod-b,pod-c" {
		t.Errorf("IDs after restart = %s, want pod-b,pod-c", got)
	}
	ip, err := again.Allocate("pod-c")
	if err != nil || ip.String() != "10.244.2.4" {
		t.Errorf("Allocate(pod-c) after restart = %v, %v; want its old 10.244.2.4", ip, err)
	}
	ip, err = again.Allocate("pod-d")
	if err != nil || ip.String() != "10.244.2.3" {
		t.Errorf("Allocate(pod-d) after restart = %v, %v; want the freed 10.244.2.3", ip, err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "10.244.2.3"))
	if err != nil || string(b) != "pod-d" {
		t.Errorf("allocation file 10.244.2.3 = %q, %v; want pod-d", b, err)
	}
}

func TestIPAMConcurrent(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// Two allocators on one directory stand for two processes too.
	allocs := []*ipam{testIPAM(t, dir, "10.244.3.0/24"), testIPAM(t, dir, "10.244.3.0/24")}
	const n = 60
	ips := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ip, err := allocs[i%2].Allocate(fmt.Sprintf("pod-%d", i))
			ips[i], errs[i] = ip.String(), err
		}()
	}
	wg.Wait()
	seen := map[string]int{}
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("Allocate(pod-%d): %v", i, errs[i])
		}
		if j, dup := seen[ips[i]]; dup {
			t.Fatalf("pod-%d and pod-%d both got %s", i, j, ips[i])
		}
		seen[ips[i]] = i
	}
	ids, err := allocs[0].IDs()
	if err != nil || len(ids) != n {
		t.Fatalf("IDs() = %d IDs, %v; want %d", len(ids), err, n)
	}
}
