package validation

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Event field limits from upstream.
const (
	reportingInstanceLengthLimit = 128
	actionLengthLimit            = 128
	reasonLengthLimit            = 128
	noteLengthLimit              = 1024
)

// event is the common shape of core/v1 and events.k8s.io/v1 Events, named
// after the core fields because upstream reports errors with those names
// for both APIs.
type event struct {
	meta                *metav1.ObjectMeta
	involvedNamespace   string
	eventTime           metav1.MicroTime
	reportingController string
	reportingInstance   string
	action, reason      string
	message, eventType  string
	firstTimestamp      metav1.Time
	lastTimestamp       metav1.Time
	count               int32
	sourceSet           bool
	seriesCount         *int32
	seriesLastObserved  metav1.MicroTime
	strict              bool // created through events.k8s.io, which checks more
}

func fromCoreEvent(e *corev1.Event) event {
	ev := event{
		meta: &e.ObjectMeta, involvedNamespace: e.InvolvedObject.Namespace, eventTime: e.EventTime,
		reportingController: e.ReportingController, reportingInstance: e.ReportingInstance,
		action: e.Action, reason: e.Reason, message: e.Message, eventType: e.Type,
		firstTimestamp: e.FirstTimestamp, lastTimestamp: e.LastTimestamp, count: e.Count,
		sourceSet: e.Source.Component != "" || e.Source.Host != "",
	}
	if e.Series != nil {
		ev.seriesCount, ev.seriesLastObserved = &e.Series.Count, e.Series.LastObservedTime
	}
	return ev
}

func fromEventsV1(e *eventsv1.Event) event {
	ev := event{
		meta: &e.ObjectMeta, involvedNamespace: e.Regarding.Namespace, eventTime: e.EventTime,
		reportingController: e.ReportingController, reportingInstance: e.ReportingInstance,
		action: e.Action, reason: e.Reason, message: e.Note, eventType: e.Type,
		firstTimestamp: e.DeprecatedFirstTimestamp, lastTimestamp: e.DeprecatedLastTimestamp, count: e.DeprecatedCount,
		sourceSet: e.DeprecatedSource.Component != "" || e.DeprecatedSource.Host != "",
		strict:    true,
	}
	if e.Series != nil {
		ev.seriesCount, ev.seriesLastObserved = &e.Series.Count, e.Series.LastObservedTime
	}
	return ev
}

// ValidateEvent checks a new core/v1 Event. Only the legacy rules apply to
// this API, for compatibility with old clients.
func ValidateEvent(e *corev1.Event) field.ErrorList { return validateEventCreate(fromCoreEvent(e)) }

// ValidateEventsV1Event checks a new events.k8s.io/v1 Event (strict rules).
func ValidateEventsV1Event(e *eventsv1.Event) field.ErrorList {
	return validateEventCreate(fromEventsV1(e))
}

func validateEventCreate(ev event) field.ErrorList {
	allErrs := legacyValidateEvent(ev)
	if !ev.strict {
		return allErrs
	}
	allErrs = append(allErrs, ValidateObjectMeta(ev.meta, true, NameIsDNSSubdomain, field.NewPath("metadata"))...)
	allErrs = append(allErrs, validateEventSeries(ev)...)
	if ev.eventTime.IsZero() {
		allErrs = append(allErrs, field.Required(field.NewPath("eventTime"), ""))
	}
	if ev.eventType != corev1.EventTypeNormal && ev.eventType != corev1.EventTypeWarning {
		allErrs = append(allErrs, field.Invalid(field.NewPath("type"), "", fmt.Sprintf("has invalid value: %v", ev.eventType)))
	}
	if !ev.firstTimestamp.IsZero() {
		allErrs = append(allErrs, field.Invalid(field.NewPath("firstTimestamp"), "", "needs to be unset"))
	}
	if !ev.lastTimestamp.IsZero() {
		allErrs = append(allErrs, field.Invalid(field.NewPath("lastTimestamp"), "", "needs to be unset"))
	}
	if ev.count != 0 {
		allErrs = append(allErrs, field.Invalid(field.NewPath("count"), "", "needs to be unset"))
	}
	if ev.sourceSet {
		allErrs = append(allErrs, field.Invalid(field.NewPath("source"), "", "needs to be unset"))
	}
	return allErrs
}

func validateEventSeries(ev event) field.ErrorList {
	var allErrs field.ErrorList
	if ev.seriesCount != nil {
		if *ev.seriesCount < 2 {
			allErrs = append(allErrs, field.Invalid(field.NewPath("series.count"), "", "should be at least 2"))
		}
		if ev.seriesLastObserved.IsZero() {
			allErrs = append(allErrs, field.Required(field.NewPath("series.lastObservedTime"), ""))
		}
	}
	return allErrs
}

// legacyValidateEvent: the event must live in the namespace of the object it
// is about (cluster-scoped objects report into default or kube-system);
// new-style events (with eventTime) must name their reporter and action.
func legacyValidateEvent(ev event) field.ErrorList {
	var allErrs field.ErrorList
	nsPath := field.NewPath("involvedObject", "namespace")
	const mismatch = "does not match event.namespace"
	ns := ev.meta.Namespace
	reportingField := "reportingController"
	if !ev.strict {
		reportingField = "reportingComponent"
	}
	if ev.eventTime.IsZero() {
		if len(ev.involvedNamespace) == 0 {
			if ns != metav1.NamespaceNone && ns != metav1.NamespaceDefault {
				allErrs = append(allErrs, field.Invalid(nsPath, ev.involvedNamespace, mismatch))
			}
		} else if ns != ev.involvedNamespace {
			allErrs = append(allErrs, field.Invalid(nsPath, ev.involvedNamespace, mismatch))
		}
	} else {
		if len(ev.involvedNamespace) == 0 && ns != metav1.NamespaceDefault && ns != metav1.NamespaceSystem {
			allErrs = append(allErrs, field.Invalid(nsPath, ev.involvedNamespace, mismatch))
		}
		if len(ev.reportingController) == 0 {
			allErrs = append(allErrs, field.Required(field.NewPath(reportingField), ""))
		}
		allErrs = append(allErrs, validateQualifiedName(ev.reportingController, field.NewPath(reportingField))...)
		if len(ev.reportingInstance) == 0 {
			allErrs = append(allErrs, field.Required(field.NewPath("reportingInstance"), ""))
		}
		if len(ev.reportingInstance) > reportingInstanceLengthLimit {
			allErrs = append(allErrs, field.Invalid(field.NewPath("reportingInstance"), "", fmt.Sprintf("can have at most %v characters", reportingInstanceLengthLimit)))
		}
		if len(ev.action) == 0 {
			allErrs = append(allErrs, field.Required(field.NewPath("action"), ""))
		}
		if len(ev.action) > actionLengthLimit {
			allErrs = append(allErrs, field.Invalid(field.NewPath("action"), "", fmt.Sprintf("can have at most %v characters", actionLengthLimit)))
		}
		if len(ev.reason) == 0 {
			allErrs = append(allErrs, field.Required(field.NewPath("reason"), ""))
		}
		if len(ev.reason) > reasonLengthLimit {
			allErrs = append(allErrs, field.Invalid(field.NewPath("reason"), "", fmt.Sprintf("can have at most %v characters", reasonLengthLimit)))
		}
		if len(ev.message) > noteLengthLimit {
			allErrs = append(allErrs, field.Invalid(field.NewPath("message"), "", fmt.Sprintf("can have at most %v characters", noteLengthLimit)))
		}
	}
	if ns != "" {
		allErrs = append(allErrs, validateDNS1123Subdomain(ns, field.NewPath("namespace"))...)
	}
	return allErrs
}

// ValidateEventUpdate checks a core/v1 Event replacing old (legacy rules).
func ValidateEventUpdate(e, old *corev1.Event) field.ErrorList {
	return legacyValidateEvent(fromCoreEvent(e))
}

// ValidateEventsV1EventUpdate checks an events.k8s.io/v1 Event replacing
// old: what happened is fixed; only the series (repeat count) moves on.
func ValidateEventsV1EventUpdate(e, old *eventsv1.Event) field.ErrorList {
	ev := fromEventsV1(e)
	allErrs := legacyValidateEvent(ev)
	allErrs = append(allErrs, ValidateObjectMetaUpdate(&e.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))...)
	if !semanticEqual(e.Series, old.Series) {
		allErrs = append(allErrs, validateEventSeries(ev)...)
	}
	allErrs = append(allErrs, validateImmutable(e.Regarding, old.Regarding, field.NewPath("involvedObject"))...)
	allErrs = append(allErrs, validateImmutable(e.Reason, old.Reason, field.NewPath("reason"))...)
	allErrs = append(allErrs, validateImmutable(e.Note, old.Note, field.NewPath("message"))...)
	allErrs = append(allErrs, validateImmutable(e.Type, old.Type, field.NewPath("type"))...)
	allErrs = append(allErrs, validateImmutable(e.EventTime, old.EventTime, field.NewPath("eventTime"))...)
	allErrs = append(allErrs, validateImmutable(e.Action, old.Action, field.NewPath("action"))...)
	allErrs = append(allErrs, validateImmutable(e.Related, old.Related, field.NewPath("related"))...)
	allErrs = append(allErrs, validateImmutable(e.ReportingController, old.ReportingController, field.NewPath("reportingController"))...)
	allErrs = append(allErrs, validateImmutable(e.ReportingInstance, old.ReportingInstance, field.NewPath("reportingInstance"))...)
	return allErrs
}
