package cluster

import (
	"reflect"
	"strings"
	"testing"

	"github.com/minidev/mini/cluster/docker"
)

func TestParsePublish(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   []string
		want []docker.PortMapping
		err  string
	}{
		{nil, nil, ""},
		{[]string{"8080:30080"}, []docker.PortMapping{{HostPort: 8080, NodePort: 30080, Protocol: "tcp"}}, ""},
		{[]string{"5353:30053/udp", "80:30080/tcp"}, []docker.PortMapping{{HostPort: 5353, NodePort: 30053, Protocol: "udp"}, {HostPort: 80, NodePort: 30080, Protocol: "tcp"}}, ""},
		{[]string{"8080"}, nil, `--publish "8080"`},
		{[]string{"8080:30080/sctp"}, nil, "HOSTPORT:NODEPORT"},
		{[]string{"0:30080"}, nil, "HOSTPORT:NODEPORT"},
		{[]string{"x:y"}, nil, "for example 8080:30080"},
	}
	for _, tt := range tests {
		got, err := ParsePublish(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParsePublish(%v) error = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParsePublish(%v) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}
