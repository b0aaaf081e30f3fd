package runtime

import (
	"testing"

	"golang.org/x/sys/unix"
)

func TestCapSet(t *testing.T) {
	t.Parallel()
	const docker = 0xa80425fb // CapEff of a default Docker container
	all := uint64(1)<<41 - 1
	tests := []struct {
		name      string
		add, drop []string
		lastCap   int
		want      uint64
		wantErr   bool
	}{
		{name: "docker default", lastCap: 40, want: docker},
		{name: "add net admin", add: []string{"NET_ADMIN"}, lastCap: 40, want: docker | 1<<unix.CAP_NET_ADMIN},
		{name: "CAP_ prefix and case", add: []string{"cap_sys_time"}, lastCap: 40, want: docker | 1<<unix.CAP_SYS_TIME},
		{name: "drop chown", drop: []string{"CHOWN"}, lastCap: 40, want: docker &^ (1 << unix.CAP_CHOWN)},
		{name: "drop all", drop: []string{"ALL"}, lastCap: 40, want: 0},
		{name: "drop all add one", add: []string{"NET_BIND_SERVICE"}, drop: []string{"ALL"}, lastCap: 40, want: 1 << unix.CAP_NET_BIND_SERVICE},
		{name: "add all", add: []string{"ALL"}, lastCap: 40, want: all},
		{name: "add all drop one", add: []string{"all"}, drop: []string{"SYS_ADMIN"}, lastCap: 40, want: all &^ (1 << unix.CAP_SYS_ADMIN)},
		{name: "add all on older kernel", add: []string{"ALL"}, lastCap: 37, want: uint64(1)<<38 - 1},
		{name: "unknown kernel cap left out", add: []string{"CHECKPOINT_RESTORE"}, lastCap: 39, want: docker},
		{name: "unknown name", add: []string{"FLY"}, lastCap: 40, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := capSet(tt.add, tt.drop, tt.lastCap)
			if (err != nil) != tt.wantErr {
				t.Fatalf("capSet: err = %v, want error %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("capSet = %#x, want %#x", got, tt.want)
			}
		})
	}
}

func TestCapNamesMatchKernel(t *testing.T) {
	t.Parallel()
	for n, want := range map[string]int{
		"CHOWN": unix.CAP_CHOWN, "NET_ADMIN": unix.CAP_NET_ADMIN, "SYS_ADMIN": unix.CAP_SYS_ADMIN,
		"MKNOD": unix.CAP_MKNOD, "AUDIT_READ": unix.CAP_AUDIT_READ, "CHECKPOINT_RESTORE": unix.CAP_CHECKPOINT_RESTORE,
		"SETFCAP": unix.CAP_SETFCAP, "BPF": unix.CAP_BPF,
	} {
		if got, err := capNumber(n); err != nil || got != want {
			t.Errorf("capNumber(%s) = %d, %v; want %d", n, got, err, want)
		}
	}
}
