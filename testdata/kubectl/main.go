// Command kubectl is the upstream kubectl, built from the k8s.io/kubectl
// module at the version go.mod pins. cluster/e2e builds it to check that the
// mini API server answers what a real kubectl asks.
package main

import (
	"os"

	"k8s.io/component-base/cli"
	"k8s.io/kubectl/pkg/cmd"
)

func main() {
	os.Exit(cli.Run(cmd.NewDefaultKubectlCommand()))
}
