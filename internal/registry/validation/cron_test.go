package validation

import (
	"testing"
	"time"
)

func TestParseCronScheduleErrors(t *testing.T) {
	cases := map[string]string{
		"":                          "empty spec string",
		"* * * *":                   "expected exactly 5 fields, found 4: [* * * *]",
		"* * * * * *":               "expected exactly 5 fields, found 6: [* * * * * *]",
		"61 * * * *":                "end of range (61) above maximum (59): 61",
		"* 24 * * *":                "end of range (24) above maximum (23): 24",
		"* * 0 * *":                 "beginning of range (0) below minimum (1): 0",
		"* * * 13 *":                "end of range (13) above maximum (12): 13",
		"* * * * 7":                 "end of range (7) above maximum (6): 7",
		"5-1 * * * *":               "beginning of range (5) beyond end of range (1): 5-1",
		"*/0 * * * *":               "step of range should be a positive number: */0",
		"1-2-3 * * * *":             "too many hyphens: 1-2-3",
		"*/2/3 * * * *":             "too many slashes: */2/3",
		"x * * * *":                 `failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax`,
		"* * * FOO *":               `failed to parse int from FOO: strconv.Atoi: parsing "FOO": invalid syntax`,
		"@fortnightly":              "unrecognized descriptor: @fortnightly",
		"@every 5x":                 `failed to parse duration @every 5x: time: unknown unit "x" in duration "5x"`,
		"TZ=Nowhere/City * * * * *": "provided bad location Nowhere/City: unknown time zone Nowhere/City",
	}
	for spec, want := range cases {
		_, err := ParseCronSchedule(spec)
		if err == nil || err.Error() != want {
			t.Errorf("ParseCronSchedule(%q) = %v, want %q", spec, err, want)
		}
	}
}

func TestCronNext(t *testing.T) {
	utc := func(s string) time.Time {
		tm, err := time.Parse("2006-01-02 15:04:05", s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	cases := []struct {
		spec, from, want string
	}{
		{"*/5 * * * *", "2024-03-10 10:02:30", "2024-03-10 10:05:00"},
		{"*/5 * * * *", "2024-03-10 10:05:00", "2024-03-10 10:10:00"}, // strictly after
		{"0 * * * *", "2024-03-10 10:00:00", "2024-03-10 11:00:00"},
		{"30 2 * * *", "2024-12-31 03:00:00", "2025-01-01 02:30:00"},
		{"@hourly", "2024-03-10 10:59:59", "2024-03-10 11:00:00"},
		{"@daily", "2024-02-28 12:00:00", "2024-02-29 00:00:00"},
		{"@weekly", "2024-03-06 12:00:00", "2024-03-10 00:00:00"}, // next Sunday
		{"@monthly", "2024-01-31 00:00:01", "2024-02-01 00:00:00"},
		{"@yearly", "2024-06-01 00:00:00", "2025-01-01 00:00:00"},
		{"0 0 29 2 *", "2024-03-01 00:00:00", "2028-02-29 00:00:00"},
		{"0 9 * * MON-FRI", "2024-03-08 10:00:00", "2024-03-11 09:00:00"}, // Friday -> Monday
		{"0 0 1,15 * *", "2024-03-02 00:00:00", "2024-03-15 00:00:00"},
		{"5/20 * * * *", "2024-03-10 10:26:00", "2024-03-10 10:45:00"},
		{"10-20/5 * * * *", "2024-03-10 10:16:00", "2024-03-10 10:20:00"},
		// Both day fields restricted: either one matches (13th or a Friday).
		{"0 0 13 * 5", "2024-03-01 12:00:00", "2024-03-08 00:00:00"},
		// Day-of-week "*" with a day-of-month: only the day-of-month counts.
		{"0 0 13 * *", "2024-03-01 12:00:00", "2024-03-13 00:00:00"},
		{"0 0 31 2 *", "2024-01-01 00:00:00", "0001-01-01 00:00:00"}, // never
	}
	for _, tc := range cases {
		s, err := ParseCronSchedule(tc.spec)
		if err != nil {
			t.Fatalf("%s: %v", tc.spec, err)
		}
		got := s.Next(utc(tc.from))
		want := utc(tc.want)
		if tc.want == "0001-01-01 00:00:00" {
			want = time.Time{}
		}
		if !got.Equal(want) {
			t.Errorf("%q.Next(%s) = %s, want %s", tc.spec, tc.from, got, want)
		}
	}
}

func TestCronNextTimeZones(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no tzdata")
	}
	// Evaluated in the location of the argument (spec.timeZone).
	s, _ := ParseCronSchedule("0 9 * * *")
	from := time.Date(2024, 3, 10, 12, 0, 0, 0, time.UTC) // 08:00 EDT
	got := s.Next(from.In(ny))
	if want := time.Date(2024, 3, 10, 9, 0, 0, 0, ny); !got.Equal(want) || got.Location() != ny {
		t.Errorf("got %s, want %s", got, want)
	}
	// A TZ prefix overrides the argument's zone; the result keeps the
	// argument's location.
	s, _ = ParseCronSchedule("TZ=America/New_York 0 9 * * *")
	got = s.Next(from)
	if want := time.Date(2024, 3, 10, 13, 0, 0, 0, time.UTC); !got.Equal(want) || got.Location() != time.UTC {
		t.Errorf("got %s, want %s", got, want)
	}
	// 02:30 does not exist on spring-forward day: that run is skipped.
	s, _ = ParseCronSchedule("30 2 * * *")
	got = s.Next(time.Date(2024, 3, 10, 0, 0, 0, 0, ny))
	if want := time.Date(2024, 3, 11, 2, 30, 0, 0, ny); !got.Equal(want) {
		t.Errorf("spring forward: got %s, want %s", got, want)
	}
}

func TestCronEvery(t *testing.T) {
	s, err := ParseCronSchedule("@every 90s")
	if err != nil {
		t.Fatal(err)
	}
	from := time.Date(2024, 1, 1, 0, 0, 0, 500, time.UTC)
	if got, want := s.Next(from), time.Date(2024, 1, 1, 0, 1, 30, 0, time.UTC); !got.Equal(want) {
		t.Errorf("got %s, want %s", got, want)
	}
}
