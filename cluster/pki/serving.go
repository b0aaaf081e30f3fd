package pki

import (
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"net"
	"time"
)

const servingValidity = 365 * 24 * time.Hour

// KubernetesServiceIP is the ClusterIP of the "kubernetes" Service in the
// default namespace, the first address of the service range 10.96.0.0/12.
var KubernetesServiceIP = net.IPv4(10, 96, 0, 1)

// servingDNSNames are the names every API server certificate carries: the
// ones pods use for the kubernetes Service, and the ones mini uses itself.
var servingDNSNames = []string{
	"localhost",
	"mini-apiserver",
	"kubernetes",
	"kubernetes.default",
	"kubernetes.default.svc",
	"kubernetes.default.svc.cluster.local",
}

// ServingCert issues a one-year server certificate for the API server, signed
// by ca. Its DNS SANs are localhost, mini-apiserver and the kubernetes Service
// names (kubernetes, kubernetes.default, kubernetes.default.svc,
// kubernetes.default.svc.cluster.local) plus dnsNames; its IP SANs are
// 127.0.0.1 and KubernetesServiceIP plus ips, which should hold the cluster
// network's gateway as it is now. Duplicates are dropped.
func (ca *CA) ServingCert(ips []net.IP, dnsNames []string) (certPEM, keyPEM []byte, err error) {
	if ca == nil || ca.Cert == nil || ca.Key == nil {
		return nil, nil, errors.New("issue serving certificate: CA has no certificate or key")
	}
	key, err := newKey()
	if err != nil {
		return nil, nil, fmt.Errorf("issue serving certificate: %w", err)
	}
	serial, err := newSerial()
	if err != nil {
		return nil, nil, fmt.Errorf("issue serving certificate: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "mini-apiserver"},
		NotBefore:             now.Add(-backdate),
		NotAfter:              now.Add(servingValidity),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		DNSNames:              uniqueStrings(servingDNSNames, dnsNames),
		IPAddresses:           uniqueIPs([]net.IP{net.IPv4(127, 0, 0, 1), KubernetesServiceIP}, ips),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, key.Public(), ca.Key)
	if err != nil {
		return nil, nil, fmt.Errorf("issue serving certificate: %w", err)
	}
	keyPEM, err = encodeKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("issue serving certificate: %w", err)
	}
	return encodeCert(der), keyPEM, nil
}

func uniqueStrings(lists ...[]string) []string {
	seen := map[string]bool{}
	var out []string
	for _, l := range lists {
		for _, s := range l {
			if s != "" && !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
	}
	return out
}

func uniqueIPs(lists ...[]net.IP) []net.IP {
	seen := map[string]bool{}
	var out []net.IP
	for _, l := range lists {
		for _, ip := range l {
			if ip == nil {
				continue
			}
			if v4 := ip.To4(); v4 != nil {
				ip = v4
			}
			if k := ip.String(); !seen[k] {
				seen[k] = true
				out = append(out, ip)
			}
		}
	}
	return out
}
