package kubeletapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cri-streaming/pkg/streaming/remotecommand"
	"k8s.io/streaming/pkg/httpstream/wsstream"
	utilexec "k8s.io/utils/exec"
)

// The channels of the v5.channel.k8s.io WebSocket subprotocol.
const (
	chanStdin = iota
	chanStdout
	chanStderr
	chanError
	chanResize
)

// serveExecV5 serves exec over the v5.channel.k8s.io WebSocket subprotocol
// (KEP-4006): v4's channels and JSON status, plus the client closing stdin.
// wsstream does the framing; this only wires the channels.
func serveExecV5(w http.ResponseWriter, r *http.Request, ex executor, pod, ctr string, cmd []string, opts *remotecommand.Options) {
	channel := func(want bool, t wsstream.ChannelType) wsstream.ChannelType {
		if want {
			return t
		}
		return wsstream.IgnoreChannel
	}
	channels := []wsstream.ChannelType{
		chanStdin:  channel(opts.Stdin, wsstream.ReadChannel),
		chanStdout: channel(opts.Stdout, wsstream.WriteChannel),
		chanStderr: channel(opts.Stderr, wsstream.WriteChannel),
		chanError:  wsstream.WriteChannel,
		chanResize: wsstream.ReadChannel,
	}
	conn := wsstream.NewConn(map[string]wsstream.ChannelProtocolConfig{
		remotecommand.StreamProtocolV5Name: {Binary: true, Channels: channels},
	})
	conn.SetIdleTimeout(idleTimeout)
	_, streams, err := conn.Open(w, r)
	if err != nil {
		ex.log.Debug("WebSocket exec upgrade failed", "pod", ex.namespace+"/"+pod, "container", ctr, "err", err)
		return
	}
	defer conn.Close()
	// An empty message on the first writable channel tells the client
	// the session is open.
	switch {
	case opts.Stdout:
		_, _ = streams[chanStdout].Write(nil)
	case opts.Stderr:
		_, _ = streams[chanStderr].Write(nil)
	default:
		_, _ = streams[chanError].Write(nil)
	}
	var in io.Reader
	var out, errOut io.WriteCloser
	if opts.Stdin {
		in = streams[chanStdin]
	}
	if opts.Stdout {
		out = streams[chanStdout]
	}
	if opts.Stderr {
		errOut = streams[chanStderr]
	}
	var resize chan TerminalSize
	if opts.TTY {
		resize = make(chan TerminalSize)
		go decodeResizes(r, streams[chanResize], resize)
	}
	err = ex.ExecInContainer(r.Context(), pod, "", ctr, cmd, in, out, errOut, opts.TTY, resize, 0)
	data, _ := json.Marshal(execStatus(err))
	_, _ = streams[chanError].Write(data)
}

// decodeResizes turns the resize channel's JSON sizes into TerminalSizes.
func decodeResizes(r *http.Request, src io.Reader, dst chan<- TerminalSize) {
	defer close(dst)
	dec := json.NewDecoder(src)
	for {
		var size TerminalSize
		if err := dec.Decode(&size); err != nil {
			return
		}
		select {
		case dst <- size:
		case <-r.Context().Done():
			return
		}
	}
}

// execStatus is the Status the error channel carries at the end of an
// exec, as cri-streaming writes it for v4: success, the exit code, or an
// internal error.
func execStatus(err error) metav1.Status {
	if err == nil {
		return metav1.Status{Status: metav1.StatusSuccess}
	}
	var exit utilexec.ExitError
	if errors.As(err, &exit) && exit.Exited() {
		return metav1.Status{
			Status:  metav1.StatusFailure,
			Reason:  metav1.StatusReason(remotecommand.NonZeroExitCodeReason),
			Message: fmt.Sprintf("command terminated with non-zero exit code: %v", exit),
			Details: &metav1.StatusDetails{Causes: []metav1.StatusCause{{Type: metav1.CauseType(remotecommand.ExitCodeCauseType), Message: strconv.Itoa(exit.ExitStatus())}}},
		}
	}
	return metav1.Status{
		Status: metav1.StatusFailure, Reason: metav1.StatusReasonInternalError, Code: http.StatusInternalServerError,
		Message: fmt.Sprintf("Internal error occurred: error executing command in container: %v", err),
	}
}
