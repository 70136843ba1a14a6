package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Point is one measured figure. Latency points carry percentiles of N
// timed calls; single figures (a janitor run, bytes per session) carry
// Value.
type Point struct {
	Experiment string  `json:"experiment"` // latency, memory, janitor, users, size
	Store      string  `json:"store"`
	Op         string  `json:"op"`
	X          float64 `json:"x"` // see Experiment's xLabel
	N          int     `json:"n,omitempty"`
	P50        float64 `json:"p50,omitempty"` // seconds
	P90        float64 `json:"p90,omitempty"`
	P99        float64 `json:"p99,omitempty"`
	Max        float64 `json:"max,omitempty"`
	Value      float64 `json:"value,omitempty"`
	Unit       string  `json:"unit"`
}

// Results is everything one run measured, with how it ran.
type Results struct {
	Command  string    `json:"command"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	Machine  string    `json:"machine"`
	Load     string    `json:"load"` // load average before and after
	Points   []Point   `json:"points"`
}

// add appends a latency point from the samples ds.
func (r *Results) add(exp, store, op string, x float64, ds []time.Duration) {
	if len(ds) == 0 {
		return
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	q := func(p float64) float64 {
		i := int(math.Ceil(p*float64(len(s)))) - 1
		return s[max(0, min(i, len(s)-1))].Seconds()
	}
	r.Points = append(r.Points, Point{Experiment: exp, Store: store, Op: op, X: x, N: len(s),
		P50: q(0.50), P90: q(0.90), P99: q(0.99), Max: s[len(s)-1].Seconds(), Unit: "s"})
}

// addValue appends a single figure.
func (r *Results) addValue(exp, store, op string, x, v float64, unit string) {
	r.Points = append(r.Points, Point{Experiment: exp, Store: store, Op: op, X: x, Value: v, Unit: unit})
}

// write saves scale.json, scale.csv, scale.md and the charts in dir.
func (r *Results) write(dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	j, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, err
	}
	files := map[string][]byte{"scale.json": append(j, '\n')}
	var c strings.Builder
	if err := r.writeCSV(&c); err != nil {
		return nil, err
	}
	files["scale.csv"] = []byte(c.String())
	files["scale.md"] = []byte(r.markdown())
	for _, ch := range r.charts() {
		files[ch.file] = ch.SVG()
	}
	var names []string
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return nil, err
		}
		names = append(names, name)
	}
	slices.Sort(names)
	return names, nil
}

// readResults loads a scale.json.
func readResults(path string) (*Results, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r Results
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &r, nil
}

func (r *Results) writeCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"experiment", "store", "op", "x", "n", "p50_s", "p90_s", "p99_s", "max_s", "value", "unit"})
	f := func(v float64) string {
		if v == 0 {
			return ""
		}
		return strconv.FormatFloat(v, 'g', 6, 64)
	}
	for _, p := range r.Points {
		_ = cw.Write([]string{p.Experiment, p.Store, p.Op, strconv.FormatFloat(p.X, 'f', -1, 64), strconv.Itoa(p.N),
			f(p.P50), f(p.P90), f(p.P99), f(p.Max), f(p.Value), p.Unit})
	}
	cw.Flush()
	return cw.Error()
}

// select returns the points of exp and op, grouped by store in the order
// the stores first appear.
func (r *Results) series(exp, op string) (stores []string, by map[string][]Point) {
	by = map[string][]Point{}
	for _, p := range r.Points {
		if p.Experiment != exp || p.Op != op {
			continue
		}
		if _, ok := by[p.Store]; !ok {
			stores = append(stores, p.Store)
		}
		by[p.Store] = append(by[p.Store], p)
	}
	for _, s := range stores {
		slices.SortFunc(by[s], func(a, b Point) int { return cmpFloat(a.X, b.X) })
	}
	return stores, by
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// namedChart is a chart and the file it goes to.
type namedChart struct {
	Chart
	file string
}

// lines builds one series per store of exp/op, with the value get picks
// from each point; suffix names it in the legend.
func (r *Results) lines(exp, op, suffix string, dashed bool, get func(Point) float64) []Series {
	stores, by := r.series(exp, op)
	var out []Series
	for i, st := range stores {
		s := Series{Name: st + suffix, Color: colour(st, i), Dashed: dashed}
		for _, p := range by[st] {
			s.X = append(s.X, p.X)
			s.Y = append(s.Y, get(p))
		}
		out = append(out, s)
	}
	return out
}

func p50(p Point) float64   { return p.P50 }
func p99(p Point) float64   { return p.P99 }
func value(p Point) float64 { return p.Value }

// charts lists every chart the points allow.
func (r *Results) charts() []namedChart {
	sub := r.Command
	var out []namedChart
	add := func(file string, c Chart) {
		if len(c.Series) > 0 {
			c.Subtitle = sub
			out = append(out, namedChart{c, file})
		}
	}
	for _, op := range []string{"read", "commit"} {
		add("latency-"+op+".svg", Chart{
			Title:  fmt.Sprintf("Store %s latency vs sessions stored (p50 solid, p99 dashed)", opTitle[op]),
			XLabel: "sessions stored", YLabel: "latency per call",
			LogX: true, LogY: true, XFormat: fmtCount, YFormat: fmtSeconds,
			Series: append(r.lines("latency", op, " p50", false, p50), r.lines("latency", op, " p99", true, p99)...),
		})
	}
	add("memory.svg", Chart{
		Title:  "memstore: heap per session vs sessions stored (100 B of data each)",
		XLabel: "sessions stored", YLabel: "bytes of live heap per session",
		LogX: true, XFormat: fmtCount, YFormat: fmtBytes,
		Series: append(r.lines("memory", "anonymous", " anonymous", false, value), r.lines("memory", "signed-in", " signed in", true, value)...),
	})
	add("janitor-time.svg", Chart{
		Title:  "DeleteExpired: time to delete the expired rows",
		XLabel: "expired rows", YLabel: "DeleteExpired time",
		LogX: true, LogY: true, XFormat: fmtCount, YFormat: fmtSeconds,
		Series: r.lines("janitor", "delete-expired", "", false, value),
	})
	add("janitor-reads.svg", Chart{
		Title:  "Read p99 while DeleteExpired runs (solid) and without it (dashed)",
		XLabel: "expired rows", YLabel: "Read latency, p99",
		LogX: true, LogY: true, XFormat: fmtCount, YFormat: fmtSeconds,
		Series: append(r.lines("janitor", "read-during", " during", false, p99), r.lines("janitor", "read-quiet", " quiet", true, p99)...),
	})
	add("users.svg", Chart{
		Title:  "One user's sessions: ListUser (solid) and DeleteUser (dashed)",
		XLabel: "sessions of the user", YLabel: "time per call",
		LogX: true, LogY: true, XFormat: fmtCount, YFormat: fmtSeconds,
		Series: append(r.lines("users", "list-user", " ListUser", false, value), r.lines("users", "delete-user", " DeleteUser", true, value)...),
	})
	for op, title := range map[string]string{
		"read":   "Read request (Get, Commit unchanged), p50, vs session size",
		"commit": "Read-modify-write request (Get, Update, Commit), p50, vs session size",
	} {
		add("size-"+op+".svg", Chart{
			Title:  title,
			XLabel: "session size (bytes of JSON)", YLabel: "latency per request, p50",
			LogX: true, LogY: true, XFormat: fmtBytes, YFormat: fmtSeconds,
			Series: r.lines("size", op, "", false, p50),
		})
	}
	return out
}

var opTitle = map[string]string{"read": "Read", "commit": "commit"}

// markdown renders every point as tables, one per experiment and op.
func (r *Results) markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Scale runs\n\nGenerated by `%s`, %s – %s; %s; load average %s.\n",
		r.Command, r.Started.UTC().Format(time.RFC3339), r.Finished.UTC().Format(time.RFC3339), r.Machine, r.Load)
	type key struct{ exp, op string }
	var keys []key
	seen := map[key]bool{}
	for _, p := range r.Points {
		k := key{p.Experiment, p.Op}
		if !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	for _, k := range keys {
		fmt.Fprintf(&b, "\n## %s: %s\n\n", k.exp, k.op)
		stores, by := r.series(k.exp, k.op)
		latency := by[stores[0]][0].Unit == "s" && by[stores[0]][0].N > 0
		if latency {
			fmt.Fprintf(&b, "| store | %s | calls | p50 | p90 | p99 | max |\n|---|---:|---:|---:|---:|---:|---:|\n", xLabel[k.exp])
		} else {
			unit := by[stores[0]][0].Unit
			if unit == "s" {
				unit = "time"
			}
			fmt.Fprintf(&b, "| store | %s | %s |\n|---|---:|---:|\n", xLabel[k.exp], unit)
		}
		for _, st := range stores {
			for _, p := range by[st] {
				if latency {
					fmt.Fprintf(&b, "| %s | %s | %d | %s | %s | %s | %s |\n", st, fmtX(k.exp, p.X), p.N,
						fmtSeconds(p.P50), fmtSeconds(p.P90), fmtSeconds(p.P99), fmtSeconds(p.Max))
				} else if p.Unit == "s" {
					fmt.Fprintf(&b, "| %s | %s | %s |\n", st, fmtX(k.exp, p.X), fmtSeconds(p.Value))
				} else {
					fmt.Fprintf(&b, "| %s | %s | %.0f |\n", st, fmtX(k.exp, p.X), p.Value)
				}
			}
		}
	}
	return b.String()
}

// xLabel names each experiment's X.
var xLabel = map[string]string{
	"latency": "sessions stored",
	"memory":  "sessions stored",
	"janitor": "expired rows",
	"users":   "sessions of the user",
	"size":    "session bytes (JSON)",
}

func fmtX(exp string, x float64) string {
	if exp == "size" {
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return fmtCount(x)
}
