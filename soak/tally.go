package main

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"
)

// phase is what the store was doing while a request ran.
type phase int

const (
	phaseUp     phase = iota // every server up the whole time
	phaseOutage              // the request overlapped an outage window
)

func (p phase) String() string {
	if p == phaseUp {
		return "while every server was up"
	}
	return "during outages (stop, down, restart, grace)"
}

// maxTexts bounds the distinct error texts kept per phase and status, so
// that a long run's memory stays flat.
const maxTexts = 20

// tally counts answers by phase and status, the texts of the failed ones,
// and latencies. It is safe for concurrent use.
type tally struct {
	mu       sync.Mutex
	statuses [2]map[int]int64            // phase → status (0: no answer) → count
	texts    [2]map[int]map[string]int64 // phase → status → text → count (not 200)
	latency  histogram
	// Failures while every server was up: the longest time between the
	// end of an outage and such a failed request's start, and the number
	// of those that no outage preceded.
	upFailAfterRestart time.Duration
	upFailNoOutage     int64
}

func newTally() *tally {
	t := &tally{}
	for p := range t.statuses {
		t.statuses[p] = map[int]int64{}
		t.texts[p] = map[int]map[string]int64{}
	}
	return t
}

// add counts one answer that took d. sinceRestart is, for a failure while
// every server was up, how long after the end of the last outage the
// request started (-1: no outage before it).
func (t *tally) add(outage bool, a answer, d, sinceRestart time.Duration) {
	p := phaseUp
	if outage {
		p = phaseOutage
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.statuses[p][a.status]++
	t.latency.add(d)
	if p == phaseUp && a.status != 200 {
		if sinceRestart < 0 {
			t.upFailNoOutage++
		} else {
			t.upFailAfterRestart = max(t.upFailAfterRestart, sinceRestart)
		}
	}
	if a.status == 200 && a.text == "" {
		return
	}
	m := t.texts[p][a.status]
	if m == nil {
		m = map[string]int64{}
		t.texts[p][a.status] = m
	}
	text := normalize(a.text)
	if _, ok := m[text]; !ok && len(m) >= maxTexts {
		text = "(other texts)"
	}
	m[text]++
}

// total is the number of answers tallied.
func (t *tally) total() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	var n int64
	for _, m := range t.statuses {
		for _, c := range m {
			n += c
		}
	}
	return n
}

// count returns how many answers of phase p had a status that matches.
func (t *tally) count(p phase, match func(status int) bool) int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.countLocked(p, match)
}

// failedLocked counts the answers of phase p other than 200.
func (t *tally) failedLocked(p phase) int64 {
	return t.countLocked(p, func(s int) bool { return s != 200 })
}

func (t *tally) countLocked(p phase, match func(status int) bool) int64 {
	var n int64
	for s, c := range t.statuses[p] {
		if match(s) {
			n += c
		}
	}
	return n
}

// describe writes the answers of phase p: "200×N 503×M", then the texts.
func (t *tally) describe(b *strings.Builder, p phase) {
	t.mu.Lock()
	defer t.mu.Unlock()
	codes := make([]int, 0, len(t.statuses[p]))
	for s := range t.statuses[p] {
		codes = append(codes, s)
	}
	sort.Ints(codes)
	fmt.Fprintf(b, "answers %s:", p)
	if len(codes) == 0 {
		b.WriteString(" none")
	}
	for _, s := range codes {
		name := fmt.Sprint(s)
		if s == 0 {
			name = "no-answer"
		}
		fmt.Fprintf(b, " %s×%d", name, t.statuses[p][s])
	}
	b.WriteString("\n")
	if failed := t.failedLocked(phaseUp); p == phaseUp && failed > t.upFailNoOutage {
		fmt.Fprintf(b, "    (%d of these failures started after an outage ended, at most %s after)\n",
			failed-t.upFailNoOutage, t.upFailAfterRestart.Round(time.Millisecond))
	}
	for _, s := range codes {
		texts := t.texts[p][s]
		keys := make([]string, 0, len(texts))
		for k := range texts {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool { return texts[keys[i]] > texts[keys[j]] })
		for _, k := range keys {
			fmt.Fprintf(b, "    %d ×%d %q\n", s, texts[k], k)
		}
	}
}

// Parts of error texts that differ from one request to the next (a
// session's key in hex, a client's ephemeral port) are replaced, so that
// one kind of failure is one line of the report.
var (
	hexKey        = regexp.MustCompile(`\b[0-9a-f]{16}\b`)
	ephemeralPort = regexp.MustCompile(`(127\.0\.0\.1):\d+->`)
)

func normalize(text string) string {
	text = hexKey.ReplaceAllString(text, "<key>")
	return ephemeralPort.ReplaceAllString(text, "$1:<port>->")
}

// histogram counts durations in buckets 5% wide, from 1µs to minutes, so
// that quantiles cost fixed memory however long the run.
type histogram struct {
	buckets [400]int64
	n       int64
	max     time.Duration
}

const bucketBase = 1.05

func (h *histogram) add(d time.Duration) {
	us := max(float64(d)/float64(time.Microsecond), 1)
	i := min(int(math.Log(us)/math.Log(bucketBase)), len(h.buckets)-1)
	h.buckets[i]++
	h.n++
	h.max = max(h.max, d)
}

// quantile returns the duration below which a fraction q of the samples
// fall, to the bucket's precision.
func (h *histogram) quantile(q float64) time.Duration {
	want := int64(math.Ceil(q * float64(h.n)))
	var seen int64
	for i, c := range h.buckets {
		if seen += c; seen >= want && c > 0 {
			us := math.Pow(bucketBase, float64(i+1))
			return min(time.Duration(us*float64(time.Microsecond)), h.max)
		}
	}
	return h.max
}
