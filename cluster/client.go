package cluster

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/minidev/mini/cluster/kubeconfig"
	"github.com/minidev/mini/cluster/pki"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// AdminUser is the identity of the token users get.
const AdminUser = "mini-admin"

// access is how the CLI reaches a cluster's API.
type access struct {
	server string
	caPEM  []byte
	token  string
}

func (p *Provider) access(st *State) (access, error) {
	dir := p.dir(st.Name)
	caPEM, err := os.ReadFile(filepath.Join(dir, pki.CACertFile))
	if err != nil {
		return access{}, fmt.Errorf("cluster %q: %w", st.Name, err)
	}
	tokens, err := pki.LoadTokens(filepath.Join(dir, pki.TokensFile))
	if err != nil {
		return access{}, err
	}
	for t, id := range tokens {
		if id.User == AdminUser {
			return access{server: fmt.Sprintf("https://127.0.0.1:%d", st.Port), caPEM: caPEM, token: t}, nil
		}
	}
	return access{}, fmt.Errorf("cluster %q: no %s token in %s", st.Name, AdminUser, filepath.Join(dir, pki.TokensFile))
}

// RESTConfig returns a client config for a cluster as its admin.
func (p *Provider) RESTConfig(name string) (*rest.Config, error) {
	st, err := p.readState(name)
	if err != nil {
		return nil, err
	}
	a, err := p.access(st)
	if err != nil {
		return nil, err
	}
	return &rest.Config{Host: a.server, BearerToken: a.token, TLSClientConfig: rest.TLSClientConfig{CAData: a.caPEM}, Timeout: 30 * time.Second}, nil
}

// Kubeconfig returns the cluster's kubeconfig YAML.
func (p *Provider) Kubeconfig(name string) ([]byte, error) {
	st, err := p.readState(name)
	if err != nil {
		return nil, err
	}
	a, err := p.access(st)
	if err != nil {
		return nil, err
	}
	return kubeconfig.Build(kubeconfig.Cluster{Name: name, Server: a.server, CAPEM: a.caPEM, Token: a.token})
}

// writeKubeconfig writes the cluster's own kubeconfig, and merges it into
// the default one when asked.
func (p *Provider) writeKubeconfig(st *State, merge bool) (string, error) {
	a, err := p.access(st)
	if err != nil {
		return "", err
	}
	c := kubeconfig.Cluster{Name: st.Name, Server: a.server, CAPEM: a.caPEM, Token: a.token}
	path := filepath.Join(p.dir(st.Name), kubeconfigFile)
	if err := kubeconfig.WriteFile(path, c); err != nil {
		return "", err
	}
	if merge {
		def := kubeconfig.DefaultPath()
		if err := kubeconfig.Merge(def, c); err != nil {
			return "", err
		}
		return path + ", context " + kubeconfig.ContextName(st.Name) + " in " + def, nil
	}
	return path, nil
}

// waitReady waits until every node of the cluster is registered and Ready.
func (p *Provider) waitReady(ctx context.Context, st *State, caPEM []byte) error {
	cfg, err := p.RESTConfig(st.Name)
	if err != nil {
		return err
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	want := map[string]bool{}
	for _, n := range st.Nodes {
		want[n] = true
	}
	for {
		nodes, err := client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		notReady := len(want)
		if err == nil {
			notReady = len(want)
			for _, n := range nodes.Items {
				if want[n.Name] && NodeReady(&n) {
					notReady--
				}
			}
			if notReady == 0 {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%d of %d nodes not Ready: %w (see `mini logs-dump --name %s`)", notReady, len(want), ctx.Err(), st.Name)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// NodeReady reports a Node's Ready condition.
func NodeReady(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
