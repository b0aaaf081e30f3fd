// Package ui is `mini ui`: a live terminal dashboard of a cluster's
// reconcile state (nodes, workloads, pods, services, events) fed by
// client-go informers.
//
// Layout: package data turns watch events into plain values and hands them
// to the program in coalesced batches (the "wait on a channel, re-arm after
// each message" pattern); package views holds columns, cell formatting and
// colours as data; this package holds the Bubble Tea model (state, keys,
// layout) and Run, which wires them together.
//
// Besides the views: a log pane (l) follows one container's log through
// pods/log?follow=true, read by a goroutine per stream and handed to the
// model in batches with the same re-arm pattern (logs.go); rows just
// added, changed or deleted flash for a second, deleted ones kept as ghost
// rows until then, timed by Options.Now so tests step the clock
// (flash.go); each workload's NOW column says what its pods are doing,
// from their status and their kubelet events (reconcile.go).
//
// Why Bubble Tea v2 (charm.land/bubbletea/v2 v2.1.x with charm.land/bubbles/v2
// and charm.land/lipgloss/v2) and not v1 (github.com/charmbracelet/bubbletea
// v1.3.10): the Go module proxy serves both, and v2 is the maintained major.
// Its frame-based renderer only repaints changed cells (what matters with
// 1000 pods changing), View returns a tea.View with AltScreen declared in it
// instead of start-up options, colour downsampling (and NO_COLOR) happens in
// the renderer from the detected profile, and key presses are a distinct
// tea.KeyPressMsg. The test helper github.com/charmbracelet/x/exp/teatest/v2
// is served for v2 (pseudo-versions only, pinned in go.mod). All three v2
// modules need at most go 1.26.0 (lipgloss is held at v2.0.6: v2.1.0 would
// raise go.mod to 1.26.7). Snippets written for v1 do not compile here:
// import charm.land/... paths only.
package ui
