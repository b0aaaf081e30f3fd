package ui

import (
	"context"
	"fmt"
	"os"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/go-logr/logr"
	"github.com/minidev/mini/ui/data"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"
)

// Run shows the dashboard for the cluster cfg reaches until the user quits
// or ctx ends. namespace "" shows all namespaces.
func Run(ctx context.Context, cfg *rest.Config, cluster, namespace string) error {
	cfg = rest.CopyConfig(cfg)
	cfg.QPS, cfg.Burst = 50, 100
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("connect to cluster %s: %w", cluster, err)
	}
	// client-go logs through klog to stderr, which is the dashboard's
	// screen: a watch failing while the API is away would paint over it.
	klog.SetLogger(logr.Discard())
	defer klog.ClearLogger()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	src := data.NewSource(client, data.Options{})
	src.Start(ctx)
	m := New(Options{
		Context: ctx, Cluster: cluster, Namespace: namespace, NoColor: os.Getenv("NO_COLOR") != "",
		Tick: time.Second, Feed: src, Actor: data.Actions{Client: client}, Logs: data.Actions{Client: client},
	})
	if _, err := tea.NewProgram(m, tea.WithContext(ctx)).Run(); err != nil && ctx.Err() == nil {
		return fmt.Errorf("mini ui: %w", err)
	}
	return nil
}
