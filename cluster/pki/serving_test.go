package pki

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"testing"
	"time"
)

func TestServingCertVerifies(t *testing.T) {
	t.Parallel()
	ca, err := NewCA("dev")
	if err != nil {
		t.Fatal(err)
	}
	gateway := net.ParseIP("172.18.0.1")
	certPEM, keyPEM, err := ca.ServingCert([]net.IP{net.ParseIP("127.0.0.1"), gateway, KubernetesServiceIP}, []string{"mini-dev-control-plane"})
	if err != nil {
		t.Fatalf("ServingCert: %v", err)
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatalf("serving cert and key do not form a TLS pair: %v", err)
	}
	cert := pair.Leaf
	if cert == nil {
		if cert, err = x509.ParseCertificate(pair.Certificate[0]); err != nil {
			t.Fatal(err)
		}
	}
	if left := time.Until(cert.NotAfter); left < 364*24*time.Hour || left > 366*24*time.Hour {
		t.Errorf("serving cert valid for %v, want one year", left)
	}
	if n := len(cert.IPAddresses); n != 3 {
		t.Errorf("cert has %d IP SANs %v, want 3 (duplicates dropped)", n, cert.IPAddresses)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca.CertPEM)

	tests := []struct {
		host    string
		wantErr bool
	}{
		{host: "127.0.0.1"},
		{host: gateway.String()},
		{host: "10.96.0.1"},
		{host: "localhost"},
		{host: "kubernetes"},
		{host: "kubernetes.default.svc"},
		{host: "kubernetes.default.svc.cluster.local"},
		{host: "mini-apiserver"},
		{host: "mini-dev-control-plane"},
		{host: "10.0.0.9", wantErr: true},
		{host: "example.com", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			t.Parallel()
			_, err := cert.Verify(x509.VerifyOptions{
				DNSName:   tt.host,
				Roots:     pool,
				KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
			})
			if err == nil {
				err = cert.VerifyHostname(tt.host)
			}
			if (err != nil) != tt.wantErr {
				t.Errorf("verify %s: err = %v, wantErr %v", tt.host, err, tt.wantErr)
			}
		})
	}
}

func TestServingCertRejectsOtherCA(t *testing.T) {
	t.Parallel()
	ca, err := NewCA("dev")
	if err != nil {
		t.Fatal(err)
	}
	other, err := NewCA("other")
	if err != nil {
		t.Fatal(err)
	}
	certPEM, _, err := ca.ServingCert(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := parseCert(certPEM)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(other.Cert)
	if _, err := cert.Verify(x509.VerifyOptions{DNSName: "localhost", Roots: pool}); err == nil {
		t.Error("certificate verified against another cluster's CA")
	}
}
