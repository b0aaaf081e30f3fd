package cluster

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// controlPlanePID returns the pid of the cluster's running control plane,
// or 0. A pid file whose process is gone, or is another program now, is stale.
func (p *Provider) controlPlanePID(name string) int {
	b, err := os.ReadFile(filepath.Join(p.dir(name), pidFile))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	if pid <= 0 {
		return 0
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil || !strings.Contains(string(cmdline), "controlplane") || !strings.Contains(string(cmdline), name) {
		return 0
	}
	stat, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if i := strings.LastIndexByte(string(stat), ')'); i > 0 && len(stat) > i+2 && stat[i+2] == 'Z' {
		return 0
	}
	return pid
}

// startControlPlane starts `mini controlplane` detached (its own session,
// output to the cluster's log file) and records its pid.
func (p *Provider) startControlPlane(name, gateway string) (int, error) {
	dir := p.dir(name)
	logf, err := os.OpenFile(filepath.Join(dir, logFile), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return 0, err
	}
	defer logf.Close()
	args := []string{"controlplane", "--name", name, "--home", p.Home, "--gateway", gateway}
	if port, err := p.dnsPort(name); err != nil {
		return 0, err
	} else if port != 0 {
		args = append(args, "--dns-port", strconv.Itoa(port))
	}
	if p.Verbose {
		args = append(args, "-v")
	}
	cmd := exec.Command(p.Binary, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("start the control plane (%s): %w", p.Binary, err)
	}
	pid := cmd.Process.Pid
	go cmd.Wait() // reap it if it exits while we run; it outlives us otherwise
	if err := os.WriteFile(filepath.Join(dir, pidFile), []byte(strconv.Itoa(pid)+"\n"), 0o600); err != nil {
		_ = cmd.Process.Kill()
		return 0, err
	}
	return pid, nil
}

// dnsPort is the cluster's DNS port from its state; a cluster made before
// mini served DNS gets one now, kept in its state.
func (p *Provider) dnsPort(name string) (int, error) {
	st, err := p.readState(name)
	if err != nil {
		return 0, err
	}
	if st.DNSPort == 0 {
		if st.DNSPort, err = freeDNSPort(st.Port); err != nil {
			return 0, err
		}
		if err := p.writeState(st); err != nil {
			return 0, fmt.Errorf("record the DNS port of cluster %q: %w", name, err)
		}
	}
	return st.DNSPort, nil
}

// stopControlPlane sends SIGTERM, waits up to 10 s, then SIGKILL.
func (p *Provider) stopControlPlane(name string) error {
	pid := p.controlPlanePID(name)
	if pid == 0 {
		return nil
	}
	_ = syscall.Kill(pid, syscall.SIGTERM)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if p.controlPlanePID(name) == 0 {
			os.Remove(filepath.Join(p.dir(name), pidFile))
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	_ = syscall.Kill(pid, syscall.SIGKILL)
	os.Remove(filepath.Join(p.dir(name), pidFile))
	return nil
}

// waitAPI waits until the API answers /readyz over TLS with the cluster CA.
func (p *Provider) waitAPI(ctx context.Context, name string, port int, caPEM []byte) error {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	url := fmt.Sprintf("https://127.0.0.1:%d/readyz", port)
	for {
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if p.controlPlanePID(name) == 0 {
			return fmt.Errorf("the control plane exited; its log is %s:\n%s", filepath.Join(p.dir(name), logFile), tail(filepath.Join(p.dir(name), logFile), 10))
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the control plane did not answer at %s: %w (log: %s)", url, ctx.Err(), filepath.Join(p.dir(name), logFile))
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// tail returns the last n lines of a file.
func tail(path string, n int) string {
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
