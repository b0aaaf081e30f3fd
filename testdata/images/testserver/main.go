// Command testserver is the workload of mini's test image
// mini-test/server:v1 (see cluster/testimages): a static, stdlib-only HTTP
// and UDP server whose behaviour the end-to-end tests drive.
//
// HTTP (--port, env PORT, default 8080):
//
//	/             "hello from <hostname>\n"
//	/hostname     the hostname
//	/env          the environment, sorted, one KEY=value a line
//	/healthz      200, or 500 once /fail was called (/recover makes it 200 again)
//	/ready        200, or 503 while the file /tmp/notready exists
//	/exit?code=N  answers, then exits with status N
//	/sleep?d=1s   answers after that long
//	/headers      the request's headers, sorted, one "Name: value" a line
//	/echo         the request body back
//	/dns?name=x   net.LookupHost(x) as JSON {"name","addrs","error"} (502 on error)
//
// UDP (--udp-port, env UDP_PORT, default 8081): each datagram is answered
// with "udp:<hostname> " followed by the datagram.
//
// It prints "listening on :PORT" to stdout and "started" to stderr, one
// line per HTTP request to stdout, and on SIGTERM prints "got SIGTERM" and
// exits 0. --crash-after=D (env CRASH_AFTER) exits after D with status
// --exit-code (env EXIT_CODE, default 1); --exit-code alone exits with that
// status right after starting.
package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

type options struct {
	port, udpPort string
	crashAfter    time.Duration
	exitCode      int
	exitNow       bool // --exit-code was given without --crash-after
}

func main() {
	opts, err := parseOptions(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "testserver:", err)
		os.Exit(2)
	}
	hostname, _ := os.Hostname()

	lis, err := net.Listen("tcp", ":"+opts.port)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testserver:", err)
		os.Exit(1)
	}
	udp, err := net.ListenPacket("udp", ":"+opts.udpPort)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testserver:", err)
		os.Exit(1)
	}
	go serveUDP(udp, hostname)
	go func() {
		err := http.Serve(lis, logRequests(newMux(hostname)))
		fmt.Fprintln(os.Stderr, "testserver: http:", err)
		os.Exit(1)
	}()
	fmt.Printf("listening on :%s\n", opts.port)
	fmt.Fprintln(os.Stderr, "started")

	if opts.exitNow {
		os.Exit(opts.exitCode)
	}
	if opts.crashAfter > 0 {
		time.AfterFunc(opts.crashAfter, func() {
			fmt.Printf("crashing after %s with status %d\n", opts.crashAfter, opts.exitCode)
			os.Exit(opts.exitCode)
		})
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	sig := <-sigs
	if sig == syscall.SIGTERM {
		fmt.Println("got SIGTERM")
	} else {
		fmt.Println("got SIGINT")
	}
	os.Exit(0)
}

// parseOptions reads the flags, whose defaults come from the environment.
func parseOptions(args []string) (options, error) {
	fs := flag.NewFlagSet("testserver", flag.ContinueOnError)
	var o options
	fs.StringVar(&o.port, "port", envOr("PORT", "8080"), "HTTP port (env PORT)")
	fs.StringVar(&o.udpPort, "udp-port", envOr("UDP_PORT", "8081"), "UDP echo port (env UDP_PORT)")
	crash, err := time.ParseDuration(envOr("CRASH_AFTER", "0s"))
	if err != nil {
		return o, fmt.Errorf("env CRASH_AFTER: %w", err)
	}
	fs.DurationVar(&o.crashAfter, "crash-after", crash, "exit with --exit-code after this long (env CRASH_AFTER)")
	code, err := strconv.Atoi(envOr("EXIT_CODE", "1"))
	if err != nil {
		return o, fmt.Errorf("env EXIT_CODE: %w", err)
	}
	fs.IntVar(&o.exitCode, "exit-code", code, "status for --crash-after; alone, exit with it at once (env EXIT_CODE)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	codeSet := os.Getenv("EXIT_CODE") != ""
	fs.Visit(func(f *flag.Flag) { codeSet = codeSet || f.Name == "exit-code" })
	o.exitNow = codeSet && o.crashAfter <= 0
	return o, nil
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// serveUDP answers each datagram with "udp:<hostname> " and the datagram.
func serveUDP(c net.PacketConn, hostname string) {
	buf := make([]byte, 64<<10)
	for {
		n, addr, err := c.ReadFrom(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		reply := append([]byte("udp:"+hostname+" "), buf[:n]...)
		if _, err := c.WriteTo(reply, addr); err == nil {
			fmt.Printf("UDP %s %d bytes\n", addr, n)
		}
	}
}
