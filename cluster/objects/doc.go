// Package objects holds the everyday verbs for people without kubectl:
// apply, get, describe and delete of Kubernetes objects in a mini cluster.
// It speaks only the Kubernetes API (client-go's dynamic client and
// discovery), so it works against any conformant cluster. Apply is
// kubectl's client-side apply: a three-way strategic merge against the
// last-applied-configuration annotation, so kubectl and mini can take turns.
package objects
