package controlplane

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/minidev/mini/cluster/apiserver"
	"github.com/minidev/mini/cluster/controller/cronjob"
	"github.com/minidev/mini/cluster/controller/daemonset"
	"github.com/minidev/mini/cluster/controller/deployment"
	"github.com/minidev/mini/cluster/controller/endpointslice"
	"github.com/minidev/mini/cluster/controller/garbagecollector"
	"github.com/minidev/mini/cluster/controller/job"
	"github.com/minidev/mini/cluster/controller/namespace"
	"github.com/minidev/mini/cluster/controller/nodelifecycle"
	"github.com/minidev/mini/cluster/controller/replicaset"
	"github.com/minidev/mini/cluster/controller/serviceaccount"
	"github.com/minidev/mini/cluster/controller/statefulset"
	"github.com/minidev/mini/cluster/controller/volumebinding"
	"github.com/minidev/mini/cluster/pki"
	"github.com/minidev/mini/cluster/scheduler"
	"github.com/minidev/mini/cluster/simnode"
	"github.com/minidev/mini/cluster/store"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
)

// Config is what the control plane needs.
type Config struct {
	// Dir is the cluster's state directory ($MINI_HOME/clusters/<name>).
	Dir string
	// Port is the API port, the same on every address.
	Port int
	// Gateway is the cluster network's gateway address, where nodes reach
	// the API; empty serves 127.0.0.1 only.
	Gateway string
	// DNSPort is where the cluster DNS listens (UDP and TCP) on 127.0.0.1
	// and the gateway; 0 turns it off.
	DNSPort int
	// NodeMonitorGrace is how long a node may miss heartbeats before it is
	// NotReady; 0 means 40 s, as Kubernetes.
	NodeMonitorGrace time.Duration
	// DefaultTolerationSeconds is how long new pods tolerate a NotReady or
	// unreachable node; 0 means 300 s, as Kubernetes.
	DefaultTolerationSeconds int64
	// SimulatedNodes is how many nodes to simulate, named SimulatedPrefix-<i>.
	SimulatedNodes  int
	SimulatedPrefix string
	Log             *slog.Logger
	Version         string
}

// Files in the state directory.
const (
	StoreFile      = "store.db"
	ServingCert    = "apiserver.crt"
	ServingKey     = "apiserver.key"
	TokensFile     = pki.TokensFile
	BootstrapNames = "default,kube-system,kube-public,kube-node-lease"
)

// memoryLimit is the control plane's soft memory limit (see Run). Below
// it GOGC paces the collector (an idle control plane stays far under it);
// it must stay above the live heap at issue 5's scale (10,000 pods on 1000
// nodes: about 250 MB), or the collector runs back to back and takes the
// CPU the API needs.
const memoryLimit = 320 << 20

// Run serves until ctx ends.
func Run(ctx context.Context, cfg Config) error {
	log := cfg.Log
	if log == nil {
		log = slog.Default()
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		// A soft limit makes the Go runtime collect and return memory before
		// the heap grows past it: a laptop's control plane should stay small.
		// GOMEMLIMIT overrides it.
		debug.SetMemoryLimit(memoryLimit)
	}
	if addr := os.Getenv("MINI_PPROF"); addr != "" {
		go servePprof(addr, log)
	}
	st, err := store.Open(filepath.Join(cfg.Dir, StoreFile), store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	// The controllers in this process get a token of their own, never
	// written down. The file is re-read when it changes: `mini node add`.
	internal, err := pki.NewToken()
	if err != nil {
		return err
	}
	tokens, err := pki.OpenTokenFile(filepath.Join(cfg.Dir, TokensFile), pki.Tokens{
		internal: {User: "system:kube-controller-manager", Groups: []string{"system:masters"}},
	})
	if err != nil {
		return err
	}
	ca, err := pki.LoadCA(cfg.Dir)
	if err != nil {
		return err
	}
	tlsCert, err := servingCert(ca, cfg)
	if err != nil {
		return err
	}
	srv := apiserver.New(apiserver.Config{Store: st, Tokens: tokens, Log: log.With("component", "apiserver"), Version: cfg.Version, DefaultTolerationSeconds: cfg.DefaultTolerationSeconds})
	images := newImageHandler(tokens, log.With("component", "images"))
	defer images.Close()
	hs := &http.Server{
		Handler:           withImages(srv.Handler(), images),
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{tlsCert}, MinVersion: tls.VersionTLS12, NextProtos: []string{"h2", "http/1.1"}},
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
	addrs := []string{"127.0.0.1"}
	if cfg.Gateway != "" {
		addrs = append(addrs, cfg.Gateway)
	}
	errc := make(chan error, len(addrs))
	for _, a := range addrs {
		ln, err := net.Listen("tcp", net.JoinHostPort(a, strconv.Itoa(cfg.Port)))
		if err != nil {
			return fmt.Errorf("listen on %s:%d: %w (is another program using port %d?)", a, cfg.Port, err, cfg.Port)
		}
		go func() { errc <- hs.ServeTLS(ln, "", "") }()
	}
	log.Info("API server listening", "addresses", addrs, "port", cfg.Port)

	restCfg := &rest.Config{
		Host:            "https://127.0.0.1:" + strconv.Itoa(cfg.Port),
		BearerToken:     internal,
		TLSClientConfig: rest.TLSClientConfig{CAData: ca.CertPEM},
		QPS:             200, Burst: 400,
		UserAgent: "mini-controlplane",
	}
	client, err := kubernetes.NewForConfig(restCfg)
	if err != nil {
		return err
	}
	meta, err := metadata.NewForConfig(restCfg)
	if err != nil {
		return err
	}
	if err := bootstrap(ctx, client); err != nil {
		return fmt.Errorf("create the cluster's namespaces: %w", err)
	}
	if err := bootstrapKubernetesService(ctx, client, cfg.Gateway, cfg.Port); err != nil {
		return err
	}
	stopDNS, err := startDNS(ctx, client, cfg, log.With("component", "dns"))
	if err != nil {
		return err
	}
	defer stopDNS()
	nlc := nodelifecycle.New(nodelifecycle.Config{Client: client, Grace: cfg.NodeMonitorGrace, Log: log.With("controller", "nodelifecycle")})
	go nlc.Run(ctx)
	go namespace.New(namespace.Config{Client: client, Metadata: meta, Log: log}).Run(ctx)
	go serviceaccount.New(client, log).Run(ctx)
	gc, err := garbagecollector.New(garbagecollector.Config{Discovery: client.Discovery(), Metadata: meta, Log: log})
	if err != nil {
		return err
	}
	go gc.Run(ctx)
	// One informer factory for the controllers: each kind is listed,
	// watched and cached once, however many controllers read it. The
	// scheduler and the simulated kubelets, which make an API call per pod,
	// get clients (rate limiters) of their own.
	shared := informers.NewSharedInformerFactory(client, 0)
	schedClient, err := ownClient(restCfg)
	if err != nil {
		return err
	}
	go scheduler.New(scheduler.Config{Client: schedClient, Informers: shared, Log: log}).Run(ctx)
	go replicaset.New(replicaset.Config{Client: client, Informers: shared, Log: log}).Run(ctx)
	go deployment.New(deployment.Config{Client: client, Informers: shared, Log: log}).Run(ctx)
	go job.New(job.Config{Client: client, Informers: shared, Log: log}).Run(ctx)
	go cronjob.New(cronjob.Config{Client: client, Informers: shared, Log: log}).Run(ctx)
	go endpointslice.New(endpointslice.Config{Client: client, Informers: shared, Log: log}).Run(ctx)
	go statefulset.New(statefulset.Config{Client: client, Informers: shared, Log: log}).Run(ctx)
	go daemonset.New(daemonset.Config{Client: client, Informers: shared, Log: log}).Run(ctx)
	go volumebinding.New(volumebinding.Config{Client: client, Log: log}).Run(ctx)
	if cfg.SimulatedNodes > 0 {
		simClient, err := ownClient(restCfg)
		if err != nil {
			return err
		}
		sim := simnode.New(simnode.Config{Client: simClient, Informers: shared, Prefix: cfg.SimulatedPrefix, Count: cfg.SimulatedNodes, Version: cfg.Version, Log: log})
		go func() {
			if err := sim.Run(ctx); err != nil {
				log.Error("Failed to run simulated nodes", "err", err)
			}
		}()
	}

	select {
	case <-ctx.Done():
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("API server: %w", err)
		}
	}
	shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	log.Info("control plane stopping")
	return hs.Shutdown(shutdown)
}

// servePprof serves Go's profiles on addr (MINI_PPROF=127.0.0.1:6060), to
// measure the control plane at scale.
func servePprof(addr string, log *slog.Logger) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	log.Info("Serving profiles", "address", addr)
	if err := srv.ListenAndServe(); err != nil {
		log.Error("Failed to serve profiles", "address", addr, "err", err)
	}
}

// ownClient is a client with a rate limiter of its own, for a component
// making an API call per pod: 1000 calls/s, the scale goal's pace twice.
func ownClient(cfg *rest.Config) (kubernetes.Interface, error) {
	own := rest.CopyConfig(cfg)
	own.QPS, own.Burst = 1000, 1000
	return kubernetes.NewForConfig(own)
}

// servingCert issues a fresh serving certificate for today's addresses
// (Docker may have moved the gateway since the last start).
func servingCert(ca *pki.CA, cfg Config) (tls.Certificate, error) {
	ips := []net.IP{net.IPv4(127, 0, 0, 1), pki.KubernetesServiceIP}
	if cfg.Gateway != "" {
		ips = append(ips, net.ParseIP(cfg.Gateway))
	}
	certPEM, keyPEM, err := ca.ServingCert(ips, nil)
	if err != nil {
		return tls.Certificate{}, err
	}
	if err := os.WriteFile(filepath.Join(cfg.Dir, ServingCert), certPEM, 0o644); err != nil {
		return tls.Certificate{}, err
	}
	return tls.X509KeyPair(certPEM, keyPEM)
}

// bootstrap creates the namespaces every Kubernetes cluster has and the
// default StorageClass.
func bootstrap(ctx context.Context, client kubernetes.Interface) error {
	for _, name := range []string{"default", "kube-system", "kube-public", "kube-node-lease"} {
		_, err := client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return err
		}
	}
	// The default StorageClass, as kind's "standard": created when missing,
	// a class the user changed is kept.
	_, err := client.StorageV1().StorageClasses().Create(ctx, volumebinding.DefaultStorageClass(), metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create StorageClass %s: %w", volumebinding.DefaultClassName, err)
	}
	return nil
}
