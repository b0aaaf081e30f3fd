package runtime

import (
	"testing"

	"golang.org/x/sys/unix"
)

func TestMountFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		m         Mount
		wantFlags uintptr
		wantData  string
	}{
		{name: "plain bind", m: Mount{Source: "/a", Destination: "/b"}},
		{name: "read-only bind", m: Mount{ReadOnly: true}, wantFlags: unix.MS_RDONLY},
		{name: "bind options", m: Mount{Options: []string{"rbind", "nosuid", "noexec", "ro"}}, wantFlags: unix.MS_NOSUID | unix.MS_NOEXEC | unix.MS_RDONLY},
		{name: "tmpfs defaults", m: Mount{Type: "tmpfs", Options: []string{"size=64m", "mode=1777"}}, wantFlags: unix.MS_NOSUID | unix.MS_NODEV, wantData: "size=64m,mode=1777"},
		{name: "tmpfs read-only", m: Mount{Type: "tmpfs", ReadOnly: true}, wantFlags: unix.MS_NOSUID | unix.MS_NODEV | unix.MS_RDONLY},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			flags, data := mountFlags(tt.m)
			if flags != tt.wantFlags || data != tt.wantData {
				t.Errorf("mountFlags = %#x %q, want %#x %q", flags, data, tt.wantFlags, tt.wantData)
			}
		})
	}
}
