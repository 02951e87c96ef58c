package e2e

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"
)

// headerCell matches one column header: words separated by single spaces ("ACCESS MODES");
// kubectl's tabwriter puts at least 3 spaces between columns.
var headerCell = regexp.MustCompile(`\S+( \S+)*`)

// table is `kubectl get` output: a header line and rows of cells.
type table struct {
	header []string
	rows   []map[string]string
	text   string
}

// parseTable reads `kubectl get` output. Cells are cut at the columns' start positions,
// which kubectl's tabwriter aligns with the headers, so empty cells and cells with spaces
// ("*/1 * * * *", "standard (default)") come out whole. Of multi-kind output (get
// sts,svc) it reads the first table; tables reads them all.
func parseTable(t *testing.T, out string) table {
	t.Helper()
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	for len(lines) > 0 && strings.TrimSpace(lines[0]) == "" {
		lines = lines[1:]
	}
	if len(lines) == 0 {
		t.Fatalf("no table in kubectl output:\n%s", out)
	}
	var starts []int
	tab := table{text: out}
	for _, loc := range headerCell.FindAllStringIndex(lines[0], -1) {
		starts = append(starts, len([]rune(lines[0][:loc[0]])))
		tab.header = append(tab.header, lines[0][loc[0]:loc[1]])
	}
	for _, line := range lines[1:] {
		if strings.TrimSpace(line) == "" {
			break // the next kind's table
		}
		r := []rune(line)
		row := map[string]string{}
		for i, h := range tab.header {
			from, to := starts[i], len(r)
			if i+1 < len(starts) && starts[i+1] < to {
				to = starts[i+1]
			}
			if from < to {
				row[h] = strings.TrimSpace(string(r[from:to]))
			} else {
				row[h] = ""
			}
		}
		tab.rows = append(tab.rows, row)
	}
	return tab
}

// tables splits multi-kind output (get sts,svc,ep) into its tables.
func tables(t *testing.T, out string) []table {
	t.Helper()
	var all []table
	for _, block := range strings.Split(strings.TrimSpace(out), "\n\n") {
		all = append(all, parseTable(t, block))
	}
	return all
}

// wantHeader checks the column headers exactly.
func (tab table) wantHeader(t *testing.T, want ...string) {
	t.Helper()
	if !slices.Equal(tab.header, want) {
		t.Errorf("columns = %q, want %q\noutput:\n%s", tab.header, want, tab.text)
	}
}

// row returns the row whose NAME column is name.
func (tab table) row(t *testing.T, name string) map[string]string {
	t.Helper()
	return tab.rowWhere(t, "NAME", name)
}

// rowWhere returns the first row whose column col is value.
func (tab table) rowWhere(t *testing.T, col, value string) map[string]string {
	t.Helper()
	if !slices.Contains(tab.header, col) {
		t.Fatalf("no %s column in:\n%s", col, tab.text)
	}
	for _, r := range tab.rows {
		if r[col] == value {
			return r
		}
	}
	t.Fatalf("no row with %s %q in:\n%s", col, value, tab.text)
	return nil
}

// column lists one column's cells.
func (tab table) column(col string) []string {
	var out []string
	for _, r := range tab.rows {
		out = append(out, r[col])
	}
	return out
}

// wantCells checks some cells of the row named name: want alternates column and value. In
// a value, # stands for any number: counts that controllers change as pods come and go
// ("#/2" for a StatefulSet of 2).
func (tab table) wantCells(t *testing.T, name string, want ...string) {
	t.Helper()
	row := tab.row(t, name)
	for i := 0; i+1 < len(want); i += 2 {
		if got, ok := row[want[i]]; !ok || !matchValue(want[i+1]).MatchString(got) {
			t.Errorf("%s: column %s = %q, want %q\noutput:\n%s", name, want[i], got, want[i+1], tab.text)
		}
	}
}

// matchValue turns a wanted value, where # stands for any number, into a regexp.
func matchValue(want string) *regexp.Regexp {
	return regexp.MustCompile(`^` + strings.ReplaceAll(regexp.QuoteMeta(want), "#", "[0-9]+") + `$`)
}

// ageLike matches the AGE kubectl prints for something just created.
var ageLike = regexp.MustCompile(`^[0-9]+(s|m[0-9]*s?)$`)

func wantAge(t *testing.T, got string) {
	t.Helper()
	if !ageLike.MatchString(got) {
		t.Errorf("AGE = %q, want a few seconds like 0s or 12s", got)
	}
}

// serviceCIDR is where ordinal allocates cluster IPs (shared/DESIGN.md).
var serviceCIDR = netip.MustParsePrefix("10.43.0.0/16")

// wantServiceIP checks that ip is a cluster IP from the service range.
func wantServiceIP(t *testing.T, ip string) {
	t.Helper()
	addr, err := netip.ParseAddr(ip)
	if err != nil || !serviceCIDR.Contains(addr) {
		t.Errorf("cluster IP %q is not an address in %s", ip, serviceCIDR)
	}
}

// object is a parsed `kubectl get -o yaml` (or -o json) document.
type object struct {
	t    *testing.T
	data map[string]any
	text string
}

func parseObject(t *testing.T, text string) object {
	t.Helper()
	var data map[string]any
	if err := yaml.Unmarshal([]byte(text), &data); err != nil {
		t.Fatalf("kubectl printed something that is not YAML: %v\n%s", err, text)
	}
	return object{t: t, data: data, text: text}
}

// get returns the value at a dotted path ("spec.template.spec.containers.0.image"; a dot
// inside a key is written \.; "#" after a list is its length) as kubectl printed it, and
// whether it is there.
func (o object) get(path string) (string, bool) {
	var cur any = o.data
	for _, key := range splitPath(path) {
		switch v := cur.(type) {
		case []any:
			if key == "#" {
				cur = float64(len(v))
				continue
			}
			i, err := strconv.Atoi(key)
			if err != nil || i < 0 || i >= len(v) {
				return "", false
			}
			cur = v[i]
		case map[string]any:
			next, ok := v[key]
			if !ok {
				return "", false
			}
			cur = next
		default:
			return "", false
		}
	}
	switch v := cur.(type) {
	case map[string]any, []any:
		out, _ := yaml.Marshal(v)
		return strings.TrimSpace(string(out)), true
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), true
	default:
		return fmt.Sprint(v), true
	}
}

// splitPath splits `a.b\.c.d` into a, b.c and d.
func splitPath(path string) []string {
	var keys []string
	var cur strings.Builder
	for i := 0; i < len(path); i++ {
		switch {
		case path[i] == '\\' && i+1 < len(path) && path[i+1] == '.':
			cur.WriteByte('.')
			i++
		case path[i] == '.':
			keys = append(keys, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(path[i])
		}
	}
	return append(keys, cur.String())
}

// want checks fields: pairs of path and expected value.
func (o object) want(pathsAndValues ...string) {
	o.t.Helper()
	for i := 0; i+1 < len(pathsAndValues); i += 2 {
		path, want := pathsAndValues[i], pathsAndValues[i+1]
		got, ok := o.get(path)
		if !ok {
			o.t.Errorf("%s is missing, want %q\nobject:\n%s", path, want, o.text)
			continue
		}
		if got != want {
			o.t.Errorf("%s = %q, want %q\nobject:\n%s", path, got, want, o.text)
		}
	}
}

// wantAbsent checks that fields are not set.
func (o object) wantAbsent(paths ...string) {
	o.t.Helper()
	for _, path := range paths {
		if got, ok := o.get(path); ok {
			o.t.Errorf("%s = %q, want it absent\nobject:\n%s", path, got, o.text)
		}
	}
}

func (o object) value(path string) string {
	o.t.Helper()
	got, ok := o.get(path)
	if !ok {
		o.t.Fatalf("%s is missing\nobject:\n%s", path, o.text)
	}
	return got
}

// wantDescribe checks `kubectl describe` lines of the form "Key:   value" (# in a value
// stands for any number, as in wantCells).
func wantDescribe(t *testing.T, out string, keysAndValues ...string) {
	t.Helper()
	for i := 0; i+1 < len(keysAndValues); i += 2 {
		key, value := keysAndValues[i], keysAndValues[i+1]
		re := regexp.MustCompile(`(?m)^\s*` + regexp.QuoteMeta(key) + `:\s+` +
			strings.ReplaceAll(regexp.QuoteMeta(value), "#", "[0-9]+") + `\s*$`)
		if !re.MatchString(out) {
			t.Errorf("describe has no line %q with value %q:\n%s", key+":", value, out)
		}
	}
}

// wantContains checks that out contains every string.
func wantContains(t *testing.T, out string, substrings ...string) {
	t.Helper()
	for _, s := range substrings {
		if !strings.Contains(out, s) {
			t.Errorf("output does not contain %q:\n%s", s, out)
		}
	}
}

func wantNotContains(t *testing.T, out string, substrings ...string) {
	t.Helper()
	for _, s := range substrings {
		if strings.Contains(out, s) {
			t.Errorf("output contains %q, want it not to:\n%s", s, out)
		}
	}
}

// wantLines checks that out is exactly these lines (ignoring the final newline).
func wantLines(t *testing.T, out string, lines ...string) {
	t.Helper()
	got := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if !slices.Equal(got, lines) {
		t.Errorf("output lines = %q, want %q", got, lines)
	}
}

// eventually polls cond every 50ms until it returns "" (done) or the timeout passes; then
// it fails the test with cond's last complaint.
func eventually(t *testing.T, timeout time.Duration, cond func() string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		complaint := cond()
		if complaint == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("still not true after %v: %s", timeout, complaint)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
