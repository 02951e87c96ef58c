package nodelifecycle

import (
	"time"

	"k8s.io/utils/clock"
)

// Upstream's defaults (kube-controller-manager 1.32) and ordinal's failover defaults.
const (
	DefaultNodeMonitorPeriod      = 5 * time.Second
	DefaultNodeMonitorGracePeriod = 50 * time.Second
	DefaultNodeStartupGracePeriod = time.Minute
	DefaultFencingPeriod          = 30 * time.Second
	DefaultSafetyMargin           = 10 * time.Second
	// largeClusterThreshold: a zone this size or smaller stops tainting nodes NoExecute
	// while it is partially disrupted (upstream's --large-cluster-size-threshold).
	largeClusterThreshold = 50
	// unhealthyZoneThreshold: the share of not-Ready nodes (more than two of them) that
	// makes a zone partially disrupted (upstream's --unhealthy-zone-threshold).
	unhealthyZoneThreshold = 0.55
)

// Clock is what the controller needs of a clock: tickers for the monitor period and
// delayed calls for wake-ups. clock.RealClock and the testing fake clock are both one.
type Clock interface {
	clock.WithTicker
	AfterFunc(d time.Duration, f func()) clock.Timer
}

// Options tune the controller; zero values are the defaults above.
type Options struct {
	// NodeMonitorPeriod is how often every node's health is looked at even when nothing
	// changed (upstream --node-monitor-period).
	NodeMonitorPeriod time.Duration
	// NodeMonitorGracePeriod is how long a node may go without a heartbeat (Lease renewal
	// or Ready condition update) before it is marked Unknown (upstream
	// --node-monitor-grace-period).
	NodeMonitorGracePeriod time.Duration
	// NodeStartupGracePeriod replaces the grace period for a node that has never posted a
	// Ready condition (upstream --node-startup-grace-period).
	NodeStartupGracePeriod time.Duration
	// FencingPeriod is the longest an agent may go without renewing its Lease before it has
	// stopped its containers. A node's own advertised period is used when it is longer.
	FencingPeriod time.Duration
	// SafetyMargin is added on top of grace and fencing periods before a lost node's
	// StatefulSet pods are deleted; it absorbs clock rate differences.
	SafetyMargin time.Duration
	// FailoverEnabled turns the StatefulSet failover on or off (nil: on).
	FailoverEnabled *bool
	// Clock measures everything; tests pass a fake one (nil: the real clock).
	Clock Clock
}

// withDefaults fills in zero values.
func (o Options) withDefaults() Options {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.NodeMonitorPeriod, DefaultNodeMonitorPeriod)
	def(&o.NodeMonitorGracePeriod, DefaultNodeMonitorGracePeriod)
	def(&o.NodeStartupGracePeriod, DefaultNodeStartupGracePeriod)
	def(&o.FencingPeriod, DefaultFencingPeriod)
	def(&o.SafetyMargin, DefaultSafetyMargin)
	if o.FailoverEnabled == nil {
		on := true
		o.FailoverEnabled = &on
	}
	if o.Clock == nil {
		o.Clock = clock.RealClock{}
	}
	return o
}

func (o Options) failover() bool { return o.FailoverEnabled == nil || *o.FailoverEnabled }
