package sim

import (
	"fmt"
	"strconv"
	"time"
)

// Annotations that steer simulated containers (see the package comment). They are the
// contract other packages' tests use; do not rename them.
const (
	AnnotationPrefix        = "sim.ordinal.dev/"
	AnnotationNeverReady    = AnnotationPrefix + "never-ready"
	AnnotationCrash         = AnnotationPrefix + "crash"
	AnnotationExitCode      = AnnotationPrefix + "exit-code"
	AnnotationRunSeconds    = AnnotationPrefix + "run-seconds"
	AnnotationStartDelay    = AnnotationPrefix + "start-delay"
	AnnotationIgnoreSIGTERM = AnnotationPrefix + "ignore-sigterm"
	AnnotationFailLiveness  = AnnotationPrefix + "fail-liveness"
)

// behaviour is what the annotations ask of one container.
type behaviour struct {
	neverReady    bool
	crash         bool
	exits         bool // exit-code given
	exitCode      int32
	runFor        time.Duration
	startDelay    *time.Duration
	ignoreSIGTERM bool
	failLiveness  bool
}

// parseBehaviour reads the pod's annotations. regular is false for init containers, which
// only honour the start delay: the other annotations describe the pod's workload.
func parseBehaviour(annotations map[string]string, regular bool) (behaviour, error) {
	var b behaviour
	if v, ok := annotations[AnnotationStartDelay]; ok {
		d, err := parseDuration(v)
		if err != nil {
			return b, fmt.Errorf("annotation %s: %w", AnnotationStartDelay, err)
		}
		b.startDelay = &d
	}
	if !regular {
		return b, nil
	}
	var err error
	if b.neverReady, err = parseBool(annotations, AnnotationNeverReady); err != nil {
		return b, err
	}
	if b.crash, err = parseBool(annotations, AnnotationCrash); err != nil {
		return b, err
	}
	if b.ignoreSIGTERM, err = parseBool(annotations, AnnotationIgnoreSIGTERM); err != nil {
		return b, err
	}
	if b.failLiveness, err = parseBool(annotations, AnnotationFailLiveness); err != nil {
		return b, err
	}
	if v, ok := annotations[AnnotationExitCode]; ok {
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil || n < 0 || n > 255 {
			return b, fmt.Errorf("annotation %s: invalid value %q: must be an integer from 0 to 255", AnnotationExitCode, v)
		}
		b.exits, b.exitCode = true, int32(n)
	}
	if v, ok := annotations[AnnotationRunSeconds]; ok {
		s, err := strconv.ParseFloat(v, 64)
		if err != nil || s < 0 {
			return b, fmt.Errorf("annotation %s: invalid value %q: must be a non-negative number of seconds", AnnotationRunSeconds, v)
		}
		b.runFor = time.Duration(s * float64(time.Second))
	}
	return b, nil
}

func parseBool(annotations map[string]string, key string) (bool, error) {
	v, ok := annotations[key]
	if !ok {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("annotation %s: invalid value %q: must be \"true\" or \"false\"", key, v)
	}
	return b, nil
}

// parseDuration accepts Go durations ("1.5s") and bare seconds ("2").
func parseDuration(v string) (time.Duration, error) {
	if s, err := strconv.ParseFloat(v, 64); err == nil && s >= 0 {
		return time.Duration(s * float64(time.Second)), nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("invalid value %q: must be a duration such as \"2s\"", v)
	}
	return d, nil
}
