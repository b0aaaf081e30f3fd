package main

import (
	_ "github.com/docker/docker/client"
	_ "github.com/spf13/cobra"
	_ "go.etcd.io/bbolt"
	_ "gopkg.in/yaml.v3"
	_ "k8s.io/api/core/v1"
	_ "k8s.io/apimachinery/pkg/util/strategicpatch"
	_ "k8s.io/client-go/kubernetes"
	_ "github.com/docker/go-connections/nat"
	_ "sigs.k8s.io/yaml"
)

func main() {}
