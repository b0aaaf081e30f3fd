package data

import (
	"context"
	"io"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/minidev/mini/cluster/apiserver/apiservertest"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// proxy forwards TCP to a target and can drop every connection and stop
// listening (the API gone), then listen again on the same address.
type proxy struct {
	addr, target string
	mu           sync.Mutex
	ln           net.Listener
	conns        []net.Conn
}

func (p *proxy) up(t *testing.T) {
	t.Helper()
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		t.Fatalf("proxy listen %s: %v", p.addr, err)
	}
	p.mu.Lock()
	p.ln, p.addr = ln, ln.Addr().String()
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, u)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(u, c); u.Close() }()
			go func() { _, _ = io.Copy(c, u); c.Close() }()
		}
	}()
}

func (p *proxy) down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ln.Close()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// TestReconnect: the API goes away under a running source (its watches
// only retry, quietly): the heartbeat notices, the source reports it down
// with a back-off, then up again when the API is back, and changes flow
// again without a new source.
func TestReconnect(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an API server")
	}
	cfg := apiservertest.Start(t)
	u, err := url.Parse(cfg.Host)
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{addr: "127.0.0.1:0", target: u.Host}
	p.up(t)
	defer p.down()
	via := rest.CopyConfig(cfg)
	via.Host = u.Scheme + "://" + p.addr
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	s := NewSource(kubernetes.NewForConfigOrDie(via), Options{MinGap: time.Millisecond, Heartbeat: 100 * time.Millisecond})
	s.Start(ctx)
	until := func(what string, cond func(Batch) bool) {
		t.Helper()
		for {
			b, ok := s.Next(ctx)
			if !ok {
				t.Fatalf("never %s", what)
			}
			if cond(b) {
				return
			}
		}
	}
	until("synced", func(b Batch) bool { return b.Synced })
	p.down()
	until("down", func(b Batch) bool { return b.Conn != nil && !b.Conn.Up && b.Conn.Retry > 0 && b.Conn.Err != "" })
	p.up(t)
	until("up again", func(b Batch) bool { return b.Conn != nil && b.Conn.Up })
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "after", Namespace: "default"}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "x"}}}}
	if _, err := kubernetes.NewForConfigOrDie(cfg).CoreV1().Pods("default").Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	until("the pod created after the reconnect", func(b Batch) bool {
		for _, o := range b.Upserts {
			if o.ObjectKey().Name == "after" {
				return true
			}
		}
		return false
	})
}
