package kubeconfig

import (
	"errors"
	"fmt"
	"github.com/minidev/mini/cluster/internal/atomicfile"
	"os"
	"path/filepath"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/client-go/util/homedir"
)

// Cluster is what a kubeconfig needs to reach one mini cluster.
type Cluster struct {
	Name   string // cluster name, e.g. "dev"
	Server string // e.g. https://127.0.0.1:PORT
	CAPEM  []byte // the cluster CA certificate, PEM
	Token  string // bearer token of the user
}

// ContextName is the name of the cluster, user and context entries for a
// cluster: "mini-" + cluster.
func ContextName(cluster string) string {
	return "mini-" + cluster
}

// Build returns a kubeconfig for c alone: a cluster, a user and a context all
// named ContextName(c.Name), with current-context set to it.
func Build(c Cluster) ([]byte, error) {
	cfg := clientcmdapi.NewConfig()
	if err := add(cfg, c); err != nil {
		return nil, err
	}
	data, err := clientcmd.Write(*cfg)
	if err != nil {
		return nil, fmt.Errorf("build kubeconfig for cluster %s: %w", c.Name, err)
	}
	return data, nil
}

// WriteFile writes Build's output to path atomically with mode 0600, creating
// the directory (0700) when missing.
func WriteFile(path string, c Cluster) error {
	data, err := Build(c)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("write kubeconfig: %w", err)
	}
	return atomicfile.Write(path, data, 0o600)
}

// DefaultPath returns the kubeconfig that kubectl would use: the first entry
// of $KUBECONFIG when it is set, else ~/.kube/config.
func DefaultPath() string {
	for _, p := range filepath.SplitList(os.Getenv(clientcmd.RecommendedConfigPathEnvVar)) {
		if p != "" {
			return p
		}
	}
	return filepath.Join(homedir.HomeDir(), clientcmd.RecommendedHomeDir, clientcmd.RecommendedFileName)
}

// add puts c's cluster, user and context into cfg, replacing entries of the
// same name, and makes the context current.
func add(cfg *clientcmdapi.Config, c Cluster) error {
	if err := c.validate(); err != nil {
		return err
	}
	name := ContextName(c.Name)

	cluster := clientcmdapi.NewCluster()
	cluster.Server = c.Server
	cluster.CertificateAuthorityData = append([]byte(nil), c.CAPEM...)

	user := clientcmdapi.NewAuthInfo()
	user.Token = c.Token

	ctx := clientcmdapi.NewContext()
	ctx.Cluster = name
	ctx.AuthInfo = name

	cfg.Clusters[name] = cluster
	cfg.AuthInfos[name] = user
	cfg.Contexts[name] = ctx
	cfg.CurrentContext = name
	return nil
}

func (c Cluster) validate() error {
	var errs []error
	if c.Name == "" {
		errs = append(errs, errors.New("cluster name is empty"))
	}
	if c.Server == "" {
		errs = append(errs, errors.New("server URL is empty"))
	}
	if len(c.CAPEM) == 0 {
		errs = append(errs, errors.New("CA certificate is empty"))
	}
	if c.Token == "" {
		errs = append(errs, errors.New("token is empty"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("kubeconfig for cluster %q: %w", c.Name, err)
	}
	return nil
}
