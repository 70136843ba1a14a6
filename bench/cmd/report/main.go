// Command report turns benchstat's CSV output (benchstat -format csv) into
// Markdown tables, and checks the goals.
//
//	report -mode peers < peers.csv   # bench module: implementation × workload, goals vs the peers
//	report -mode core < core.csv     # the core's benchmarks, goals of issue 2
//	report -mode plain < store.csv   # any benchmarks, one row each
package main

import (
	"bufio"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/b4f9cdbb/session/bench"
)

func main() {
	mode := flag.String("mode", "peers", "peers, core or plain")
	flag.Parse()
	stats, err := parse(os.Stdin, *mode == "plain")
	if err == nil && len(stats.names) == 0 {
		err = errors.New("no benchmarks in the input")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "report:", err)
		os.Exit(1)
	}
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	switch *mode {
	case "peers":
		peers(out, stats)
	case "core":
		core(out, stats)
	case "plain":
		plain(out, stats)
	default:
		fmt.Fprintln(os.Stderr, "report: unknown -mode", *mode)
		os.Exit(2)
	}
}

// value is one benchstat summary: the center and its confidence interval
// as benchstat prints it ("2%", "∞").
type value struct {
	v  float64
	ci string
}

type table struct {
	names []string                    // benchmark names in input order, "-N" dropped
	units map[string]map[string]value // unit -> name -> value
}

var procs = regexp.MustCompile(`-\d+$`)

// parse reads benchstat's CSV: sections of ",file," / ",unit,CI" / rows,
// separated by blank lines, after "pkg: …" lines. With withPkg, names are
// prefixed with the last element of their package path.
func parse(r io.Reader, withPkg bool) (*table, error) {
	t := &table{units: map[string]map[string]value{}}
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	unit, pkg := "", ""
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return t, nil
		}
		if err != nil {
			return nil, err
		}
		if len(rec) == 1 && strings.HasPrefix(rec[0], "pkg: ") {
			p := strings.TrimSpace(strings.TrimPrefix(rec[0], "pkg: "))
			pkg = p[strings.LastIndex(p, "/")+1:] + "/"
			continue
		}
		if len(rec) < 2 {
			continue
		}
		if rec[0] == "" {
			if len(rec) >= 3 && rec[2] == "CI" {
				unit = rec[1]
				if t.units[unit] == nil {
					t.units[unit] = map[string]value{}
				}
			}
			continue
		}
		if unit == "" || rec[0] == "geomean" {
			continue
		}
		v, err := strconv.ParseFloat(rec[1], 64)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", rec[0], unit, err)
		}
		ci := ""
		if len(rec) > 2 {
			ci = rec[2]
		}
		name := procs.ReplaceAllString(rec[0], "")
		if withPkg {
			name = pkg + name
		}
		if !slices.Contains(t.names, name) {
			t.names = append(t.names, name)
		}
		t.units[unit][name] = value{v, ci}
	}
}

func (t *table) get(unit, name string) (value, bool) {
	v, ok := t.units[unit][name]
	return v, ok
}

func dur(sec float64) string {
	switch ns := sec * 1e9; {
	case ns < 1000:
		return fmt.Sprintf("%.0f ns", ns)
	case ns < 1e6:
		return fmt.Sprintf("%.2f µs", ns/1e3)
	default:
		return fmt.Sprintf("%.2f ms", ns/1e6)
	}
}

func ci(v value) string {
	if v.ci == "" {
		return ""
	}
	return " ±" + v.ci
}

// header prints a Markdown table header: the first column left-aligned,
// the others right-aligned.
func header(out io.Writer, cols ...string) {
	fmt.Fprintln(out, "| "+strings.Join(cols, " | ")+" |")
	fmt.Fprintln(out, "|---|"+strings.Repeat("---:|", len(cols)-1))
}

var workloads = []string{"Read", "ReadModifyWrite", "New", "Flash"}

func peers(out io.Writer, t *table) {
	fmt.Fprintln(out, "Time per op (median ± 95% CI, benchstat) and allocations per op; Flash is a pair of requests.")
	fmt.Fprintln(out)
	cols := []string{"implementation"}
	for _, w := range workloads {
		cols = append(cols, w, "allocs")
	}
	header(out, cols...)
	for _, a := range bench.Adapters() {
		fmt.Fprintf(out, "| %s |", a.Name)
		for _, w := range workloads {
			s, ok := t.get("sec/op", w+"/"+a.Name)
			al, _ := t.get("allocs/op", w+"/"+a.Name)
			if !ok {
				fmt.Fprint(out, " skipped | |")
				continue
			}
			fmt.Fprintf(out, " %s%s | %.0f |", dur(s.v), ci(s), al.v)
		}
		fmt.Fprintln(out)
	}
	fmt.Fprintln(out)

	fmt.Fprintln(out, "Bytes allocated per op:")
	fmt.Fprintln(out)
	header(out, append([]string{"implementation"}, workloads...)...)
	for _, a := range bench.Adapters() {
		fmt.Fprintf(out, "| %s |", a.Name)
		for _, w := range workloads {
			if v, ok := t.get("B/op", w+"/"+a.Name); ok {
				fmt.Fprintf(out, " %.0f |", v.v)
			} else {
				fmt.Fprint(out, " |")
			}
		}
		fmt.Fprintln(out)
	}
	if rt, ok := t.units["redis-rt/op"]; ok && len(rt) > 0 {
		fmt.Fprintln(out)
		fmt.Fprint(out, "Redis round trips per op (session-redis, counted by a go-redis hook):")
		for _, w := range workloads {
			if v, ok := rt[w+"/session-redis"]; ok {
				fmt.Fprintf(out, " %s %.2f;", w, v.v)
			}
		}
		fmt.Fprintln(out)
	}
	fmt.Fprintln(out)

	// Goals: our cookie and memory storages at least 5× faster than the
	// fastest peer on Read and ReadModifyWrite, with at most a fifth of the
	// fastest peer's allocations.
	fmt.Fprintln(out, "Goal: at least 5× faster than the fastest peer (gorilla, scs) and at most 1/5 of its allocations.")
	fmt.Fprintln(out)
	fmt.Fprintln(out, "| workload | fastest peer | ours | speed-up | allocs ratio | goal |")
	fmt.Fprintln(out, "|---|---|---|---:|---:|---|")
	for _, w := range []string{"Read", "ReadModifyWrite"} {
		best, bestT := "", math.Inf(1)
		for _, a := range bench.Adapters() {
			if a.Library != "gorilla" && a.Library != "scs" {
				continue
			}
			if v, ok := t.get("sec/op", w+"/"+a.Name); ok && v.v < bestT {
				best, bestT = a.Name, v.v
			}
		}
		if best == "" {
			continue
		}
		peerAllocs, _ := t.get("allocs/op", w+"/"+best)
		for _, name := range []string{"session-signed", "session-sealed", "session-memory"} {
			v, ok := t.get("sec/op", w+"/"+name)
			if !ok {
				continue
			}
			al, _ := t.get("allocs/op", w+"/"+name)
			speed := bestT / v.v
			ratio := al.v / peerAllocs.v
			goal := "met"
			if speed < 5 || ratio > 0.2 {
				goal = "**missed**"
			}
			fmt.Fprintf(out, "| %s | %s (%s, %.0f allocs) | %s (%s, %.0f allocs) | %.2f× | 1/%.1f | %s |\n",
				w, best, dur(bestT), peerAllocs.v, name, dur(v.v), al.v, speed, 1/ratio, goal)
		}
	}
	parts(out, t)
}

// parts prints session-sealed's Read against the floor request plus the
// parts any encrypted-cookie Read must do (BenchmarkParts), when the input
// has them.
func parts(out io.Writer, t *table) {
	read, ok := t.get("sec/op", "Read/session-sealed")
	floor, okFloor := t.get("sec/op", "Read/floor")
	if !ok || !okFloor {
		return
	}
	rows := []struct{ name, what string }{
		{"Parts/base64", "base64url decode of the cookie"},
		{"Parts/aead-open", "one AES-256-GCM open"},
		{"Parts/json-decode", "encoding/json decode of the session (Data)"},
	}
	sum := floor.v
	for _, r := range rows {
		v, ok := t.get("sec/op", r.name)
		if !ok {
			return
		}
		sum += v.v
	}
	fmt.Fprintln(out)
	fmt.Fprintln(out, "What a cookie Read cannot avoid (BenchmarkParts, same run; each part at its cheapest, buffers reused):")
	fmt.Fprintln(out)
	fmt.Fprintln(out, "| part | time/op | allocs/op | input |")
	fmt.Fprintln(out, "|---|---:|---:|---:|")
	floorAllocs, _ := t.get("allocs/op", "Read/floor")
	fmt.Fprintf(out, "| floor request (Read/floor: harness, no session) | %s%s | %.0f | |\n", dur(floor.v), ci(floor), floorAllocs.v)
	for _, r := range rows {
		v, _ := t.get("sec/op", r.name)
		al, _ := t.get("allocs/op", r.name)
		in := ""
		if b, ok := t.get("input-B", r.name); ok {
			in = fmt.Sprintf("%.0f B", b.v)
		}
		fmt.Fprintf(out, "| %s | %s%s | %.0f | %s |\n", r.what, dur(v.v), ci(v), al.v, in)
	}
	readAllocs, _ := t.get("allocs/op", "Read/session-sealed")
	fmt.Fprintf(out, "| **sum** | %s | | |\n", dur(sum))
	fmt.Fprintf(out, "| session-sealed Read | %s%s | %.0f | |\n", dur(read.v), ci(read), readAllocs.v)
	fmt.Fprintln(out)
	fmt.Fprintf(out, "cookie Read / (floor + base64 + AEAD open + JSON decode) = %s / %s = **%.2f×**\n", dur(read.v), dur(sum), read.v/sum)
}

// core prints the core module's benchmarks with the goals of issue 2.
func core(out io.Writer, t *table) {
	type goal struct {
		sec    float64
		allocs float64 // 0: none
	}
	goals := map[string]goal{
		"Read":            {2.5e-6, 30},
		"ReadModifyWrite": {4e-6, 45},
		"New":             {2.5e-6, 0},
		"Flash":           {8e-6, 0},
	}
	fmt.Fprintln(out, "| benchmark | time/op | B/op | allocs/op | goal | met? |")
	fmt.Fprintln(out, "|---|---:|---:|---:|---|---|")
	for _, name := range t.names {
		s, _ := t.get("sec/op", name)
		b, _ := t.get("B/op", name)
		al, _ := t.get("allocs/op", name)
		g, ok := goals[strings.SplitN(name, "/", 2)[0]]
		goalText, met := "", ""
		if ok {
			goalText = "≤ " + dur(g.sec)
			met = "met"
			if s.v > g.sec {
				met = "**missed**"
			}
			if g.allocs > 0 {
				goalText += fmt.Sprintf(", ≤ %.0f allocs", g.allocs)
				if al.v > g.allocs {
					met = "**missed**"
				}
			}
		}
		fmt.Fprintf(out, "| %s | %s%s | %.0f | %.0f | %s | %s |\n", name, dur(s.v), ci(s), b.v, al.v, goalText, met)
	}
}

// plain prints one row per benchmark.
func plain(out io.Writer, t *table) {
	extra := []string{}
	for u := range t.units {
		if u != "sec/op" && u != "B/op" && u != "allocs/op" {
			extra = append(extra, u)
		}
	}
	slices.Sort(extra)
	header(out, append([]string{"benchmark", "time/op", "B/op", "allocs/op"}, extra...)...)
	for _, name := range t.names {
		s, _ := t.get("sec/op", name)
		b, _ := t.get("B/op", name)
		al, _ := t.get("allocs/op", name)
		fmt.Fprintf(out, "| %s | %s%s | %.0f | %.0f |", name, dur(s.v), ci(s), b.v, al.v)
		for _, u := range extra {
			if v, ok := t.get(u, name); ok {
				fmt.Fprintf(out, " %.3g |", v.v)
			} else {
				fmt.Fprint(out, " |")
			}
		}
		fmt.Fprintln(out)
	}
}
