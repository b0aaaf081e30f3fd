package objects

import (
	"context"
	"fmt"
	"io"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/httpstream"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/remotecommand"
)

// LogsOptions are `mini logs`' options (kubectl logs').
type LogsOptions struct {
	Container  string
	Follow     bool
	Previous   bool
	Timestamps bool
	// TailLines, when set, prints only the last N lines.
	TailLines *int64
	// Since, when non-zero, prints only lines newer than that.
	Since time.Duration
}

// Logs copies a container's log to the client's output; with Follow until
// the container's run ends or ctx does.
func (c *Client) Logs(ctx context.Context, namespace, pod string, o LogsOptions) error {
	cs, err := kubernetes.NewForConfig(c.cfg)
	if err != nil {
		return err
	}
	opts := &corev1.PodLogOptions{Container: o.Container, Follow: o.Follow, Previous: o.Previous, Timestamps: o.Timestamps, TailLines: o.TailLines}
	if o.Since > 0 {
		s := int64((o.Since + time.Second - 1) / time.Second)
		opts.SinceSeconds = &s
	}
	rc, err := cs.CoreV1().Pods(namespace).GetLogs(pod, opts).Stream(ctx)
	if err != nil {
		return fmt.Errorf("logs of pod %s/%s: %w", namespace, pod, err)
	}
	defer rc.Close()
	if _, err := io.Copy(c.out, rc); err != nil && ctx.Err() == nil {
		return fmt.Errorf("logs of pod %s/%s: %w", namespace, pod, err)
	}
	return nil
}

// ExecOptions are `mini exec`'s options (kubectl exec's).
type ExecOptions struct {
	Container string
	Command   []string
	// Stdin, when set, is sent to the command (-i).
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// TTY asks for a terminal; Resize, if set, sends its size changes.
	TTY    bool
	Resize remotecommand.TerminalSizeQueue
}

// Exec runs a command in a pod's container as kubectl exec does
// (WebSocket, falling back to SPDY). A non-zero exit of the command is an
// error implementing k8s.io/utils/exec.ExitError.
func (c *Client) Exec(ctx context.Context, namespace, pod string, o ExecOptions) error {
	cs, err := kubernetes.NewForConfig(c.cfg)
	if err != nil {
		return err
	}
	if _, err := cs.CoreV1().Pods(namespace).Get(ctx, pod, metav1.GetOptions{}); err != nil {
		return err
	}
	params := &corev1.PodExecOptions{Container: o.Container, Command: o.Command, Stdin: o.Stdin != nil, Stdout: o.Stdout != nil, Stderr: o.Stderr != nil && !o.TTY, TTY: o.TTY}
	u := cs.CoreV1().RESTClient().Post().Namespace(namespace).Resource("pods").Name(pod).SubResource("exec").
		VersionedParams(params, scheme.ParameterCodec).URL()
	ws, err := remotecommand.NewWebSocketExecutor(c.cfg, "GET", u.String())
	if err != nil {
		return err
	}
	spdy, err := remotecommand.NewSPDYExecutor(c.cfg, "POST", u)
	if err != nil {
		return err
	}
	ex, err := remotecommand.NewFallbackExecutor(ws, spdy, func(err error) bool {
		return httpstream.IsUpgradeFailure(err) || httpstream.IsHTTPSProxyError(err)
	})
	if err != nil {
		return err
	}
	so := remotecommand.StreamOptions{Stdin: o.Stdin, Stdout: o.Stdout, Tty: o.TTY, TerminalSizeQueue: o.Resize}
	if !o.TTY {
		so.Stderr = o.Stderr
	}
	return ex.StreamWithContext(ctx, so)
}
