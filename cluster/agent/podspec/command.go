package podspec

import (
	"errors"

	corev1 "k8s.io/api/core/v1"
)

// Command returns the process's argv by Kubernetes' rules against the
// image's Entrypoint and Cmd: command set → command + args (the image's
// Cmd ignored); only args → Entrypoint + args; neither → Entrypoint + Cmd.
// $(VAR) in the container's command and args is expanded with env
// (NAME=value entries; $$ is a literal $, unknown references stay as
// written); the image's own Entrypoint and Cmd are never expanded. The
// kubelet expands with its own variables only: pass Env's result for an
// empty imageEnv to leave $(VAR) of an image-only variable as written.
func Command(c *corev1.Container, entrypoint, cmd []string, env []string) ([]string, error) {
	mapping := MappingFor(EnvMap(env))
	command := expandAll(c.Command, mapping)
	args := expandAll(c.Args, mapping)
	if len(command) == 0 {
		command = entrypoint
		if len(args) == 0 {
			args = cmd
		}
	}
	argv := make([]string, 0, len(command)+len(args))
	argv = append(append(argv, command...), args...)
	if len(argv) == 0 {
		return nil, errors.New("no command specified")
	}
	return argv, nil
}

func expandAll(in []string, mapping func(string) string) []string {
	if len(in) == 0 {
		return nil
	}
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = Expand(s, mapping)
	}
	return out
}

// WorkingDir returns the container's workingDir, else the image's, else /.
func WorkingDir(c *corev1.Container, imageDir string) string {
	return firstNonEmpty(c.WorkingDir, imageDir, "/")
}
