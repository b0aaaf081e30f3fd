package dns

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/miekg/dns"
)

// Forwarder sends questions outside the zone to upstream resolvers.
type Forwarder struct {
	// Upstreams are host:port addresses, tried in order.
	Upstreams []string
	// Timeout bounds one upstream's answer; 2 s if zero.
	Timeout time.Duration
}

// HostUpstreams reads the nameservers of a resolv.conf (the host's
// /etc/resolv.conf): with systemd-resolved that is 127.0.0.53, which a
// host process reaches. A file without nameservers means 127.0.0.1:53,
// as for the C library.
func HostUpstreams(path string) ([]string, error) {
	cfg, err := dns.ClientConfigFromFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return []string{"127.0.0.1:53"}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the host's resolvers from %s: %w", path, err)
	}
	port := cfg.Port
	if port == "" {
		port = "53"
	}
	var out []string
	for _, s := range cfg.Servers {
		out = append(out, net.JoinHostPort(s, port))
	}
	if len(out) == 0 {
		out = []string{"127.0.0.1:53"}
	}
	return out, nil
}

// Exchange forwards req over network ("udp" or "tcp", the client's own)
// to each upstream in turn until one answers. A truncated UDP answer is
// returned as it is: the client retries over TCP.
func (f *Forwarder) Exchange(ctx context.Context, req *dns.Msg, network string) (*dns.Msg, error) {
	if len(f.Upstreams) == 0 {
		return nil, errors.New("forward: no upstream resolvers")
	}
	timeout := f.Timeout
	if timeout == 0 {
		timeout = 2 * time.Second
	}
	c := &dns.Client{Net: network, Timeout: timeout}
	if network == "udp" {
		// Read answers as large as the client can take.
		c.UDPSize = dns.MaxMsgSize
	}
	var errs []error
	for _, up := range f.Upstreams {
		resp, _, err := c.ExchangeContext(ctx, req, up)
		if err == nil {
			return resp, nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", up, err))
		if ctx.Err() != nil {
			break
		}
	}
	return nil, fmt.Errorf("forward %s to %d upstream(s): %w", questionString(req), len(f.Upstreams), errors.Join(errs...))
}

func questionString(m *dns.Msg) string {
	if len(m.Question) == 0 {
		return "an empty question"
	}
	q := m.Question[0]
	return q.Name + " " + dns.TypeToString[q.Qtype] + " (id " + strconv.Itoa(int(m.Id)) + ")"
}
