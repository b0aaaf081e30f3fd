package podspec

import (
	corev1 "k8s.io/api/core/v1"
	listersv1 "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
)

// listerLookup is Lookup backed by client-go listers over an indexer, as
// the agent backs it with informers (same NotFound errors).
type listerLookup struct {
	cms     listersv1.ConfigMapLister
	secrets listersv1.SecretLister
}

func newLookup(objs ...any) listerLookup {
	cmIdx := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{})
	sIdx := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{})
	for _, o := range objs {
		switch o := o.(type) {
		case *corev1.ConfigMap:
			_ = cmIdx.Add(o)
		case *corev1.Secret:
			_ = sIdx.Add(o)
		}
	}
	return listerLookup{cms: listersv1.NewConfigMapLister(cmIdx), secrets: listersv1.NewSecretLister(sIdx)}
}

func (l listerLookup) ConfigMap(ns, name string) (*corev1.ConfigMap, error) {
	return l.cms.ConfigMaps(ns).Get(name)
}

func (l listerLookup) Secret(ns, name string) (*corev1.Secret, error) {
	return l.secrets.Secrets(ns).Get(name)
}
