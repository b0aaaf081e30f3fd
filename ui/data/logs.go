package data

import (
	"context"
	"fmt"
	"io"

	corev1 "k8s.io/api/core/v1"
)

// LogTail is how many lines a log tail starts with.
const LogTail = 100

// Logs opens a following log stream of one container of the pod k names,
// starting with its last LogTail lines: GET pods/{name}/log?follow=true.
// The stream ends when ctx ends or the container stops; the caller closes it.
func (a Actions) Logs(ctx context.Context, k Key, container string) (io.ReadCloser, error) {
	tail := int64(LogTail)
	rc, err := a.Client.CoreV1().Pods(k.Namespace).GetLogs(k.Name, &corev1.PodLogOptions{
		Container: container, Follow: true, TailLines: &tail,
	}).Stream(ctx)
	if err != nil {
		return nil, fmt.Errorf("logs of %s container %s: %w", k, container, err)
	}
	return rc, nil
}
