package dns

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"time"

	"github.com/miekg/dns"
)

// Config is what a Server needs.
type Config struct {
	Resolver  *Resolver
	Forwarder *Forwarder
	// Addrs are the IP addresses to serve on, over UDP and TCP.
	Addrs []string
	// Port is the port on every address; 0 picks a free one.
	Port int
	Log  *slog.Logger
}

// Server serves DNS over UDP and TCP on its addresses.
type Server struct {
	cfg     Config
	log     *slog.Logger
	port    int
	servers []*dns.Server
}

// forwardTimeout bounds a forwarded question, all upstreams together.
const forwardTimeout = 5 * time.Second

// Listen binds every address over UDP and TCP and serves until Shutdown.
func Listen(cfg Config) (*Server, error) {
	if cfg.Resolver == nil || cfg.Resolver.Index == nil {
		return nil, errors.New("dns: Config.Resolver with an Index is required")
	}
	if len(cfg.Addrs) == 0 {
		return nil, errors.New("dns: no address to serve on")
	}
	if cfg.Forwarder == nil {
		cfg.Forwarder = &Forwarder{}
	}
	s := &Server{cfg: cfg, log: cfg.Log}
	if s.log == nil {
		s.log = slog.Default()
	}
	var conns []any
	var err error
	// A picked port may be free over UDP and taken over TCP: try a few.
	for range 5 {
		conns, err = bind(cfg.Addrs, cfg.Port)
		if err == nil || cfg.Port != 0 {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	s.port = conns[0].(net.PacketConn).LocalAddr().(*net.UDPAddr).Port
	h := dns.HandlerFunc(s.serveDNS)
	for _, c := range conns {
		srv := &dns.Server{Handler: h, ReadTimeout: 5 * time.Second, WriteTimeout: 5 * time.Second}
		switch c := c.(type) {
		case net.PacketConn:
			srv.PacketConn = c
		case net.Listener:
			srv.Listener = c
		}
		s.servers = append(s.servers, srv)
		go func() {
			if err := srv.ActivateAndServe(); err != nil {
				s.log.Error("Failed to serve DNS", "err", err)
			}
		}()
	}
	return s, nil
}

// bind opens UDP and TCP sockets on every address at port (0: the port
// the first UDP socket gets).
func bind(addrs []string, port int) ([]any, error) {
	var conns []any
	closeAll := func() {
		for _, c := range conns {
			c.(interface{ Close() error }).Close()
		}
	}
	for _, a := range addrs {
		pc, err := net.ListenPacket("udp", net.JoinHostPort(a, strconv.Itoa(port)))
		if err != nil {
			closeAll()
			return nil, fmt.Errorf("listen for DNS on %s:%d/udp: %w (is another program using port %d?)", a, port, err, port)
		}
		conns = append(conns, pc)
		if port == 0 {
			port = pc.LocalAddr().(*net.UDPAddr).Port
		}
		ln, err := net.Listen("tcp", net.JoinHostPort(a, strconv.Itoa(port)))
		if err != nil {
			closeAll()
			return nil, fmt.Errorf("listen for DNS on %s:%d/tcp: %w (is another program using port %d?)", a, port, err, port)
		}
		conns = append(conns, ln)
	}
	return conns, nil
}

// Port is the port served on every address.
func (s *Server) Port() int { return s.port }

// Shutdown stops serving.
func (s *Server) Shutdown(ctx context.Context) error {
	var errs []error
	for _, srv := range s.servers {
		errs = append(errs, srv.ShutdownContext(ctx))
	}
	return errors.Join(errs...)
}

func (s *Server) serveDNS(w dns.ResponseWriter, req *dns.Msg) {
	network := "udp"
	if _, ok := w.LocalAddr().(*net.TCPAddr); ok {
		network = "tcp"
	}
	reply := s.reply(req, network)
	if opt := req.IsEdns0(); opt != nil && reply.IsEdns0() == nil {
		reply.SetEdns0(opt.UDPSize(), false)
	}
	size := dns.MaxMsgSize
	if network == "udp" {
		size = dns.MinMsgSize
		if opt := req.IsEdns0(); opt != nil && int(opt.UDPSize()) > size {
			size = int(opt.UDPSize())
		}
	}
	reply.Truncate(size)
	if err := w.WriteMsg(reply); err != nil {
		s.log.Debug("Failed to write a DNS answer", "err", err, "client", w.RemoteAddr().String())
	}
}

// reply answers req from the zone, or forwards it.
func (s *Server) reply(req *dns.Msg, network string) *dns.Msg {
	if req.Opcode != dns.OpcodeQuery {
		return new(dns.Msg).SetRcode(req, dns.RcodeNotImplemented)
	}
	if len(req.Question) != 1 {
		return new(dns.Msg).SetRcode(req, dns.RcodeFormatError)
	}
	res := s.cfg.Resolver
	if reply, ok := res.Answer(req); ok {
		if !res.Index.Synced() {
			// Not listed yet: an answer now could be a false NXDOMAIN.
			return new(dns.Msg).SetRcode(req, dns.RcodeServerFailure)
		}
		s.chase(req, reply, network)
		return reply
	}
	ctx, cancel := context.WithTimeout(context.Background(), forwardTimeout)
	defer cancel()
	resp, err := s.cfg.Forwarder.Exchange(ctx, req, network)
	if err != nil {
		s.log.Debug("Failed to forward a DNS question", "err", err)
		return new(dns.Msg).SetRcode(req, dns.RcodeServerFailure)
	}
	resp.Id = req.Id
	return resp
}

// chase follows an ExternalName's CNAME for an address question, as a
// recursive resolver must: stub resolvers do not.
func (s *Server) chase(req, reply *dns.Msg, network string) {
	q := req.Question[0]
	if q.Qtype != dns.TypeA && q.Qtype != dns.TypeAAAA || len(reply.Answer) != 1 {
		return
	}
	cname, ok := reply.Answer[0].(*dns.CNAME)
	if !ok {
		return
	}
	sub := new(dns.Msg).SetQuestion(cname.Target, q.Qtype)
	if inner, ok := s.cfg.Resolver.Answer(sub); ok {
		reply.Answer = append(reply.Answer, inner.Answer...)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), forwardTimeout)
	defer cancel()
	resp, err := s.cfg.Forwarder.Exchange(ctx, sub, network)
	if err != nil {
		s.log.Debug("Failed to resolve an ExternalName's target", "err", err, "target", cname.Target)
		return
	}
	for _, rr := range resp.Answer {
		if rr.Header().Rrtype == q.Qtype || rr.Header().Rrtype == dns.TypeCNAME {
			reply.Answer = append(reply.Answer, rr)
		}
	}
}
