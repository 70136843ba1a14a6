package main

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/b4f9cdbb/session/bench"
	"github.com/b4f9cdbb/session/store"
)

// openTest opens backend name for a test, skipping when its server is not
// configured.
func openTest(t *testing.T, name string) *bench.Backend {
	t.Helper()
	b, err := bench.OpenBackend(name, bench.EnvFromOS(t.TempDir()), bench.BackendConfig{NoJanitor: true})
	if errors.Is(err, bench.ErrSkip) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Error(err)
		}
	})
	return b
}

// TestFillIsWhatTheStoreReads: the rows a fill writes, through the SQL
// fast paths too, are what the store itself would hold: Count counts the
// live ones and not the expired ones, ListUser finds a user's, DeleteExpired
// deletes exactly the expired ones, and CompareAndUpdate accepts the
// version they were read with.
func TestFillIsWhatTheStoreReads(t *testing.T) {
	for _, name := range []string{"memory", "sqlite", "redis", "postgres", "mariadb"} {
		t.Run(name, func(t *testing.T) {
			b := openTest(t, name)
			ctx := context.Background()
			live := time.Now().Add(time.Hour)
			keys, err := fill(ctx, b, fillSpec{n: 300, data: 100, expires: live, user: func(i int) string {
				if i%3 == 0 {
					return "carol"
				}
				return ""
			}})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := fill(ctx, b, fillSpec{n: 200, data: 100, expires: time.Now().Add(-time.Hour)}); err != nil {
				t.Fatal(err)
			}
			m := b.Store.(store.Maintenance)
			if n, err := m.Count(ctx); err != nil || n != 300 {
				t.Errorf("Count = %d, %v; want the 300 live records", n, err)
			}
			infos, err := b.Store.(store.UserIndex).ListUser(ctx, "carol")
			if err != nil || len(infos) != 100 {
				t.Errorf("ListUser found %d sessions, %v; want 100", len(infos), err)
			}
			rec, err := b.Store.Read(ctx, keys[1])
			if err != nil {
				t.Fatal(err)
			}
			if err := b.Store.(store.Versioned).CompareAndUpdate(ctx, keys[1], rec); err != nil {
				t.Errorf("CompareAndUpdate of a filled record: %v", err)
			}
			if name == "redis" {
				return // Redis expires records itself: DeleteExpired does nothing
			}
			if n, err := m.DeleteExpired(ctx); err != nil || n != 200 {
				t.Errorf("DeleteExpired = %d, %v; want the 200 expired records", n, err)
			}
		})
	}
}

// TestExperimentsWriteEveryChart runs every experiment at its smallest on
// the stores that need no server, and checks what it writes.
func TestExperimentsWriteEveryChart(t *testing.T) {
	ctx := context.Background()
	env := bench.Env{Dir: t.TempDir()}
	sm := sampler{samples: 20, budget: time.Second, minSamples: 20}
	r := &Results{Command: "go test", Started: time.Now()}
	steps := []error{
		memoryPerSession(ctx, r, []int{1000}),
		latencyVsCount(ctx, r, "memory", env, []int{100, 1000}, sm),
		janitorVsCount(ctx, r, "sqlite", env, []int{100, 1000}),
		usersVsCount(ctx, r, "memory", env, []int{10, 100}),
		sizeVsStore(ctx, r, "sealed", env, []int{100, 4096, 16384}, sm),
		sizeVsStore(ctx, r, "memory", env, []int{100, 4096, 16384}, sm),
	}
	for _, err := range steps {
		if err != nil {
			t.Fatal(err)
		}
	}
	r.Finished = time.Now()

	// The sealed cookie stops at the largest session that fits, between
	// 2 kB and 4 kB; memory goes on to 16 kB.
	_, sizes := r.series("size", "read")
	last := sizes["sealed"][len(sizes["sealed"])-1].X
	if len(sizes["sealed"]) != 2 || last < 2000 || last >= 4096 {
		t.Errorf("sealed sizes %v: want 100 and the largest that fits, under 4096", sizes["sealed"])
	}
	if len(sizes["memory"]) != 3 {
		t.Errorf("memory sizes %v: want 3", sizes["memory"])
	}

	dir := t.TempDir()
	files, err := r.write(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"janitor-reads.svg", "janitor-time.svg", "latency-commit.svg", "latency-read.svg", "memory.svg",
		"scale.csv", "scale.json", "scale.md", "size-commit.svg", "size-read.svg", "users.svg"}
	if !slices.Equal(files, want) {
		t.Errorf("wrote %v, want %v", files, want)
	}
	for _, f := range files {
		if strings.HasSuffix(f, ".svg") {
			b, err := os.ReadFile(filepath.Join(dir, f))
			if err != nil {
				t.Fatal(err)
			}
			wellFormed(t, f, b)
		}
	}
	again, err := readResults(filepath.Join(dir, "scale.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Points) != len(r.Points) || again.Command != r.Command {
		t.Errorf("scale.json read back with %d points, want %d", len(again.Points), len(r.Points))
	}
}

// wellFormed fails unless b parses as XML with an <svg> root.
func wellFormed(t *testing.T, name string, b []byte) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(b))
	root := ""
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s is not well-formed XML: %v", name, err)
		}
		if se, ok := tok.(xml.StartElement); ok && root == "" {
			root = se.Name.Local
		}
	}
	if root != "svg" {
		t.Errorf("%s: root element %q, want svg", name, root)
	}
}

// TestChart: axes, ticks, escaping and one line per series.
func TestChart(t *testing.T) {
	c := Chart{
		Title: "a <title> & more", XLabel: "x", YLabel: "y", LogX: true, LogY: true,
		XFormat: fmtCount, YFormat: fmtSeconds,
		Series: []Series{
			{Name: "one", X: []float64{1000, 1e4, 1e6}, Y: []float64{1e-6, 2e-6, 3e-4}, Color: "#000"},
			{Name: "two", X: []float64{1000, 1e6}, Y: []float64{5e-5, 5e-5}, Color: "#111", Dashed: true},
		},
	}
	svg := c.SVG()
	wellFormed(t, "chart", svg)
	s := string(svg)
	for _, want := range []string{"a &lt;title&gt; &amp; more", ">1 k<", ">1 M<", ">1 µs<", ">1 ms<", "stroke-dasharray", ">one<", ">two<"} {
		if !strings.Contains(s, want) {
			t.Errorf("the chart lacks %q", want)
		}
	}
	if n := strings.Count(s, "<polyline"); n != 2 {
		t.Errorf("%d lines, want 2", n)
	}

	x := newAxis([]float64{1000, 1e6}, true, 0, 100, fmtCount)
	if !slices.Equal(x.ticks, []float64{1e3, 1e4, 1e5, 1e6}) || x.pos(1e3) != 0 || x.pos(1e6) != 100 {
		t.Errorf("log axis over 1 k – 1 M: ticks %v, ends at %v and %v", x.ticks, x.pos(1e3), x.pos(1e6))
	}
	y := newAxis([]float64{380, 440}, false, 100, 0, nil)
	if y.lo != 0 || y.hi < 440 || y.pos(0) != 100 {
		t.Errorf("linear axis over 380–440: range %v–%v, want from 0 past 440", y.lo, y.hi)
	}
	if got := decades(1000, 1_000_000); !slices.Equal(got, []int{1000, 10_000, 100_000, 1_000_000}) {
		t.Errorf("decades(1000, 1 M) = %v", got)
	}
	if got := decades(100, 5000); !slices.Equal(got, []int{100, 1000, 5000}) {
		t.Errorf("decades(100, 5000) = %v", got)
	}
}
