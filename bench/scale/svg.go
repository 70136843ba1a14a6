package main

import (
	"bytes"
	"fmt"
	"html"
	"math"
	"slices"
	"strings"
)

// A line chart drawn as SVG with the standard library only: axes with
// ticks and labels, one polyline per series with a marker at each point,
// and a legend on the right. Log axes put ticks at 1, 2 and 5 of each
// decade when the data spans few decades, at each decade otherwise.

// Series is one line of a chart.
type Series struct {
	Name   string
	X, Y   []float64
	Color  string
	Dashed bool
}

// Chart is a line chart.
type Chart struct {
	Title    string
	Subtitle string // the command that reproduces it
	XLabel   string
	YLabel   string
	LogX     bool
	LogY     bool
	// XFormat and YFormat label the ticks; nil prints %g.
	XFormat, YFormat func(float64) string
	Series           []Series
}

const (
	chartW, chartH = 760, 460
	padLeft        = 78
	padRight       = 210 // the legend
	padTop         = 58
	padBottom      = 62
)

// palette gives each store the same colour in every chart.
var palette = map[string]string{
	"memory":       "#1f77b4",
	"sqlite":       "#ff7f0e",
	"redis":        "#d62728",
	"redis-cached": "#e377c2",
	"postgres":     "#2ca02c",
	"mariadb":      "#9467bd",
	"signed":       "#8c564b",
	"sealed":       "#17becf",
}

// colour returns the store's colour, or one of the fallbacks by index.
func colour(store string, i int) string {
	if c, ok := palette[store]; ok {
		return c
	}
	fallback := []string{"#7f7f7f", "#bcbd22", "#393b79", "#637939"}
	return fallback[i%len(fallback)]
}

// axis maps data values to pixels along one direction.
type axis struct {
	log        bool
	lo, hi     float64 // data range (positive when log)
	from, to   float64 // pixel range
	ticks      []float64
	format     func(float64) string
	minorTicks []float64
}

func (a *axis) pos(v float64) float64 {
	lo, hi := a.lo, a.hi
	if a.log {
		v, lo, hi = math.Log10(v), math.Log10(lo), math.Log10(hi)
	}
	if hi == lo {
		return (a.from + a.to) / 2
	}
	return a.from + (v-lo)/(hi-lo)*(a.to-a.from)
}

// newAxis picks the range and ticks for values vs.
func newAxis(vs []float64, log bool, from, to float64, format func(float64) string) *axis {
	a := &axis{log: log, from: from, to: to, format: format}
	if a.format == nil {
		a.format = func(v float64) string { return fmt.Sprintf("%g", v) }
	}
	var use []float64
	for _, v := range vs {
		if !math.IsNaN(v) && !math.IsInf(v, 0) && (!log || v > 0) {
			use = append(use, v)
		}
	}
	if len(use) == 0 {
		use = []float64{1}
	}
	lo, hi := slices.Min(use), slices.Max(use)
	if log {
		dlo, dhi := math.Floor(math.Log10(lo)), math.Ceil(math.Log10(hi))
		if dhi == dlo {
			dhi++
		}
		a.lo, a.hi = math.Pow(10, dlo), math.Pow(10, dhi)
		steps := []float64{1}
		if dhi-dlo <= 2 {
			steps = []float64{1, 2, 5}
		}
		for d := dlo; d <= dhi; d++ {
			for _, m := range []float64{1, 2, 3, 4, 5, 6, 7, 8, 9} {
				v := m * math.Pow(10, d)
				if v > a.hi*1.0001 {
					break
				}
				if slices.Contains(steps, m) {
					a.ticks = append(a.ticks, v)
				} else {
					a.minorTicks = append(a.minorTicks, v)
				}
			}
		}
		return a
	}
	if lo > 0 {
		lo = 0 // linear axes start at zero, so that ratios read true
	}
	if hi == lo {
		hi = lo + 1
	}
	step := niceStep((hi - lo) / 5)
	a.lo = math.Floor(lo/step) * step
	a.hi = math.Ceil(hi/step) * step
	for v := a.lo; v <= a.hi+step/1000; v += step {
		a.ticks = append(a.ticks, v)
	}
	return a
}

// niceStep rounds x up to 1, 2 or 5 times a power of ten.
func niceStep(x float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(x)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= x {
			return m * p
		}
	}
	return 10 * p
}

// SVG renders the chart.
func (c Chart) SVG() []byte {
	var xs, ys []float64
	for _, s := range c.Series {
		xs = append(xs, s.X...)
		ys = append(ys, s.Y...)
	}
	x := newAxis(xs, c.LogX, padLeft, chartW-padRight, c.XFormat)
	y := newAxis(ys, c.LogY, chartH-padBottom, padTop, c.YFormat)

	var b bytes.Buffer
	esc := html.EscapeString
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n",
		chartW, chartH, chartW, chartH)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", chartW, chartH)
	fmt.Fprintf(&b, `<text x="%d" y="22" font-size="15" font-weight="bold">%s</text>`+"\n", padLeft, esc(c.Title))
	if c.Subtitle != "" {
		fmt.Fprintf(&b, `<text x="%d" y="40" font-size="10" fill="#555" font-family="monospace">%s</text>`+"\n", padLeft, esc(c.Subtitle))
	}

	// Grid, ticks and tick labels.
	for _, v := range x.minorTicks {
		px := x.pos(v)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#f0f0f0"/>`+"\n", px, padTop, px, chartH-padBottom)
	}
	for _, v := range y.minorTicks {
		py := y.pos(v)
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#f0f0f0"/>`+"\n", padLeft, py, chartW-padRight, py)
	}
	for _, v := range x.ticks {
		px := x.pos(v)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ddd"/>`+"\n", px, padTop, px, chartH-padBottom)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n", px, chartH-padBottom+16, esc(x.format(v)))
	}
	for _, v := range y.ticks {
		py := y.pos(v)
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>`+"\n", padLeft, py, chartW-padRight, py)
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end">%s</text>`+"\n", padLeft-6, py+4, esc(y.format(v)))
	}
	// Axes and their labels.
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#333"/>`+"\n",
		padLeft, padTop, chartW-padRight-padLeft, chartH-padBottom-padTop)
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle">%s</text>`+"\n",
		(padLeft+chartW-padRight)/2, chartH-padBottom+40, esc(c.XLabel))
	fmt.Fprintf(&b, `<text transform="translate(18 %d) rotate(-90)" text-anchor="middle">%s</text>`+"\n",
		(padTop+chartH-padBottom)/2, esc(c.YLabel))

	// Lines, markers, legend.
	for i, s := range c.Series {
		dash := ""
		if s.Dashed {
			dash = ` stroke-dasharray="6 4"`
		}
		var pts []string
		for j := range s.X {
			if j >= len(s.Y) || (c.LogX && s.X[j] <= 0) || (c.LogY && s.Y[j] <= 0) {
				continue
			}
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x.pos(s.X[j]), y.pos(s.Y[j])))
		}
		if len(pts) > 1 {
			fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2"%s points="%s"/>`+"\n", s.Color, dash, strings.Join(pts, " "))
		}
		for _, p := range pts {
			xy := strings.Split(p, ",")
			fmt.Fprintf(&b, `<circle cx="%s" cy="%s" r="3" fill="%s"/>`+"\n", xy[0], xy[1], s.Color)
		}
		ly := padTop + 8 + i*18
		lx := chartW - padRight + 14
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="2"%s/>`+"\n", lx, ly, lx+24, ly, s.Color, dash)
		fmt.Fprintf(&b, `<text x="%d" y="%d">%s</text>`+"\n", lx+30, ly+4, esc(s.Name))
	}
	b.WriteString("</svg>\n")
	return b.Bytes()
}

// Tick formats.

// fmtCount prints 1000 as "1 k" and 1000000 as "1 M".
func fmtCount(v float64) string {
	switch {
	case v >= 1e6:
		return trim(v/1e6) + " M"
	case v >= 1e3:
		return trim(v/1e3) + " k"
	}
	return trim(v)
}

// fmtBytes prints 1000 as "1 kB" (decimal, like the sizes measured).
func fmtBytes(v float64) string {
	switch {
	case v >= 1e6:
		return trim(v/1e6) + " MB"
	case v >= 1e3:
		return trim(v/1e3) + " kB"
	}
	return trim(v) + " B"
}

// fmtSeconds prints a duration in s, ms, µs or ns.
func fmtSeconds(v float64) string {
	switch {
	case v == 0:
		return "0"
	case v >= 1:
		return trim(v) + " s"
	case v >= 1e-3:
		return trim(v*1e3) + " ms"
	case v >= 1e-6:
		return trim(v*1e6) + " µs"
	}
	return trim(v*1e9) + " ns"
}

// trim prints v with up to three significant digits and no trailing zeros.
func trim(v float64) string {
	s := fmt.Sprintf("%.3g", v)
	if strings.ContainsAny(s, "e") {
		return fmt.Sprintf("%.0f", v)
	}
	return s
}
