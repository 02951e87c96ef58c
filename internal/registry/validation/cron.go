package validation

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Schedule is a parsed cron schedule.
type Schedule interface {
	// Next returns the first activation strictly after t, in t's location,
	// or the zero time if there is none within five years.
	Next(t time.Time) time.Time
}

// ParseCronSchedule parses a standard 5-field cron expression
// ("minute hour day-of-month month day-of-week") as the Kubernetes CronJob
// controller understands it: lists (1,2), ranges (1-5), steps (*/15, 1-30/5,
// 5/10), "*" and "?", month names JAN-DEC and weekday names SUN-SAT (any
// case), the macros @yearly @annually @monthly @weekly @daily @midnight
// @hourly and "@every <duration>", and an optional "TZ=<zone> " or
// "CRON_TZ=<zone> " prefix. Error texts follow the parser upstream uses, so
// validation errors read the same (e.g. "end of range (61) above maximum
// (59): 61").
//
// Without a TZ prefix the schedule is evaluated in the location of the time
// passed to Next; callers honouring spec.timeZone pass now.In(loc).
func ParseCronSchedule(spec string) (Schedule, error) {
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return nil, fmt.Errorf("empty spec string")
	}
	var loc *time.Location
	if strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ=") {
		eq := strings.Index(spec, "=")
		sp := strings.IndexAny(spec, " \t")
		if sp < 0 {
			return nil, fmt.Errorf("missing schedule after time zone: %s", spec)
		}
		name := spec[eq+1 : sp]
		l, err := time.LoadLocation(name)
		if err != nil {
			return nil, fmt.Errorf("provided bad location %s: %v", name, err)
		}
		loc = l
		spec = strings.TrimSpace(spec[sp:])
	}
	if strings.HasPrefix(spec, "@") {
		return parseDescriptor(spec, loc)
	}
	fields := strings.Fields(spec)
	if len(fields) != 5 {
		return nil, fmt.Errorf("expected exactly 5 fields, found %d: %s", len(fields), fields)
	}
	s := &specSchedule{loc: loc}
	var err error
	parsers := []struct {
		dst *cronField
		b   bounds
	}{{&s.minute, minuteBounds}, {&s.hour, hourBounds}, {&s.dom, domBounds}, {&s.month, monthBounds}, {&s.dow, dowBounds}}
	for i, p := range parsers {
		if *p.dst, err = parseField(fields[i], p.b); err != nil {
			return nil, err
		}
	}
	return s, nil
}

type bounds struct {
	min, max uint
	names    map[string]uint
}

var (
	minuteBounds = bounds{0, 59, nil}
	hourBounds   = bounds{0, 23, nil}
	domBounds    = bounds{1, 31, nil}
	monthBounds  = bounds{1, 12, map[string]uint{
		"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
		"jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
	}}
	dowBounds = bounds{0, 6, map[string]uint{
		"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6,
	}}
)

// cronField is a bit set of allowed values; star records that the field
// was an unrestricted "*" (or "?"), which changes how day-of-month and
// day-of-week combine.
type cronField struct {
	bits uint64
	star bool
}

func (f cronField) has(v int) bool { return f.bits&(1<<uint(v)) != 0 }

func parseField(expr string, b bounds) (cronField, error) {
	var f cronField
	for _, part := range strings.Split(expr, ",") {
		bits, star, err := parseRange(part, b)
		if err != nil {
			return cronField{}, err
		}
		f.bits |= bits
		f.star = f.star || star
	}
	return f, nil
}

// parseRange handles "*", "?", "N", "N-M", each optionally with "/step".
// "N/step" means "N-max/step".
func parseRange(expr string, b bounds) (uint64, bool, error) {
	rangeAndStep := strings.Split(expr, "/")
	lowHigh := strings.Split(rangeAndStep[0], "-")
	var start, end uint
	star := false
	if lowHigh[0] == "*" || lowHigh[0] == "?" {
		start, end, star = b.min, b.max, true
	} else {
		var err error
		if start, err = parseIntOrName(lowHigh[0], b.names); err != nil {
			return 0, false, err
		}
		switch len(lowHigh) {
		case 1:
			end = start
		case 2:
			if end, err = parseIntOrName(lowHigh[1], b.names); err != nil {
				return 0, false, err
			}
		default:
			return 0, false, fmt.Errorf("too many hyphens: %s", expr)
		}
	}
	step := uint(1)
	switch len(rangeAndStep) {
	case 1:
	case 2:
		var err error
		if step, err = parseUint(rangeAndStep[1]); err != nil {
			return 0, false, err
		}
		if len(lowHigh) == 1 {
			end = b.max
		}
		if step > 1 {
			star = false // "*/2" restricts the field
		}
	default:
		return 0, false, fmt.Errorf("too many slashes: %s", expr)
	}
	switch {
	case start < b.min:
		return 0, false, fmt.Errorf("beginning of range (%d) below minimum (%d): %s", start, b.min, expr)
	case end > b.max:
		return 0, false, fmt.Errorf("end of range (%d) above maximum (%d): %s", end, b.max, expr)
	case start > end:
		return 0, false, fmt.Errorf("beginning of range (%d) beyond end of range (%d): %s", start, end, expr)
	case step == 0:
		return 0, false, fmt.Errorf("step of range should be a positive number: %s", expr)
	}
	var bits uint64
	for v := start; v <= end; v += step {
		bits |= 1 << v
	}
	return bits, star, nil
}

func parseIntOrName(expr string, names map[string]uint) (uint, error) {
	if v, ok := names[strings.ToLower(expr)]; ok {
		return v, nil
	}
	return parseUint(expr)
}

func parseUint(expr string) (uint, error) {
	n, err := strconv.Atoi(expr)
	if err != nil {
		return 0, fmt.Errorf("failed to parse int from %s: %s", expr, err)
	}
	if n < 0 {
		return 0, fmt.Errorf("negative number (%d) not allowed: %s", n, expr)
	}
	return uint(n), nil
}

var descriptors = map[string]string{
	"@yearly":   "0 0 1 1 *",
	"@annually": "0 0 1 1 *",
	"@monthly":  "0 0 1 * *",
	"@weekly":   "0 0 * * 0",
	"@daily":    "0 0 * * *",
	"@midnight": "0 0 * * *",
	"@hourly":   "0 * * * *",
}

func parseDescriptor(spec string, loc *time.Location) (Schedule, error) {
	if expr, ok := descriptors[spec]; ok {
		s, err := ParseCronSchedule(expr)
		if err != nil {
			return nil, err
		}
		s.(*specSchedule).loc = loc
		return s, nil
	}
	const every = "@every "
	if strings.HasPrefix(spec, every) {
		d, err := time.ParseDuration(spec[len(every):])
		if err != nil {
			return nil, fmt.Errorf("failed to parse duration %s: %s", spec, err)
		}
		// Activations happen on whole seconds, at least one second apart.
		if d < time.Second {
			d = time.Second
		}
		return everySchedule{delay: d - d%time.Second}, nil
	}
	return nil, fmt.Errorf("unrecognized descriptor: %s", spec)
}

// everySchedule fires at a constant interval from the time it is asked about.
type everySchedule struct{ delay time.Duration }

func (e everySchedule) Next(t time.Time) time.Time {
	return t.Add(e.delay - time.Duration(t.Nanosecond()))
}

type specSchedule struct {
	minute, hour, dom, month, dow cronField
	loc                           *time.Location // nil: use the location of the argument
}

// dayMatches implements cron's day rule: when both day fields are
// restricted a day matching either one fires; otherwise both must match.
func (s *specSchedule) dayMatches(t time.Time) bool {
	domOK := s.dom.has(t.Day())
	dowOK := s.dow.has(int(t.Weekday()))
	if s.dom.star || s.dow.star {
		return domOK && dowOK
	}
	return domOK || dowOK
}

// Next walks forward field by field (month, day, hour, minute), resetting
// the smaller fields the first time a larger one advances. Stepping by
// calendar units in the schedule's location gives the usual cron behaviour
// across DST changes: a wall time skipped by spring-forward does not fire
// that day, a repeated wall time in fall-back may fire twice.
func (s *specSchedule) Next(t time.Time) time.Time {
	orig := t.Location()
	loc := orig
	if s.loc != nil {
		loc = s.loc
		t = t.In(loc)
	}
	// Cron has minute resolution; start at the next whole second.
	t = t.Add(time.Second - time.Duration(t.Nanosecond()))
	reset := false
	yearLimit := t.Year() + 5

wrap:
	if t.Year() > yearLimit {
		return time.Time{}
	}
	for !s.month.has(int(t.Month())) {
		if !reset {
			reset = true
			t = time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, loc)
		}
		t = t.AddDate(0, 1, 0)
		if t.Month() == time.January {
			goto wrap
		}
	}
	for !s.dayMatches(t) {
		if !reset {
			reset = true
			t = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
		}
		t = t.AddDate(0, 0, 1)
		// Midnight may not exist or be shifted on DST days; snap back to
		// the start of the day.
		if h := t.Hour(); h != 0 {
			if h > 12 {
				t = t.Add(time.Duration(24-h) * time.Hour)
			} else {
				t = t.Add(-time.Duration(h) * time.Hour)
			}
		}
		if t.Day() == 1 {
			goto wrap
		}
	}
	for !s.hour.has(t.Hour()) {
		if !reset {
			reset = true
			t = time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), 0, 0, 0, loc)
		}
		t = t.Add(time.Hour)
		if t.Hour() == 0 {
			goto wrap
		}
	}
	for !s.minute.has(t.Minute()) {
		if !reset {
			reset = true
			t = t.Truncate(time.Minute)
		}
		t = t.Add(time.Minute)
		if t.Minute() == 0 {
			goto wrap
		}
	}
	// Activations are on second 0 of a matching minute.
	if t.Second() != 0 {
		if !reset {
			t = t.Truncate(time.Minute)
		}
		t = t.Add(time.Minute)
		reset = true
		goto wrap
	}
	return t.In(orig)
}
