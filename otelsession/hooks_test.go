package otelsession_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/b4f9cdbb/session"
	"github.com/b4f9cdbb/session/memstore"
	"github.com/b4f9cdbb/session/otelsession"
	"github.com/b4f9cdbb/session/store"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

const testSecret = "Vb4nQ8rT2wLx6Zk1Hs9Jd3Fm7Gp0Yc5A"

// cart is the tests' session data; User is what Config.UserID returns.
type cart struct {
	User  string `json:"user,omitempty"`
	Items int    `json:"items"`
}

// downError is the failure of flakyStore, a type of its own so that its
// error.type is predictable.
type downError struct{}

func (downError) Error() string { return "store is down" }

const downType = "github.com/b4f9cdbb/session/otelsession_test.downError"

// flakyStore is a memstore whose Read and DeleteUser fail on demand, with
// messages that name the key and the user, as real stores' messages do, so
// that the tests can check that no message reaches the telemetry.
type flakyStore struct {
	*memstore.Store
	failRead, failDeleteUser atomic.Bool
	mu                       sync.Mutex
	keys                     []string // every key read, in hex
}

func (f *flakyStore) Read(ctx context.Context, key store.Key) (store.Record, error) {
	f.mu.Lock()
	f.keys = append(f.keys, key.String())
	f.mu.Unlock()
	if f.failRead.Load() {
		return store.Record{}, fmt.Errorf("flaky: read %s: %w", key, downError{})
	}
	return f.Store.Read(ctx, key)
}

func (f *flakyStore) DeleteUser(ctx context.Context, userID string) (int, error) {
	if f.failDeleteUser.Load() {
		return 0, fmt.Errorf("flaky: delete sessions of user %q: %w", userID, downError{})
	}
	return f.Store.DeleteUser(ctx, userID)
}

// harness is a Storage on a flakyStore with the OpenTelemetry hooks,
// recording into an in-memory reader and span recorder, and one browser.
type harness struct {
	t        *testing.T
	reader   *sdkmetric.ManualReader
	spans    *tracetest.SpanRecorder
	server   trace.Tracer // starts the requests' spans, like an HTTP middleware
	backend  *flakyStore
	sessions *session.Storage[cart]
	other    *session.Storage[cart] // a second instance on the same store
	cookie   *http.Cookie
	secrets  []string // values no telemetry may contain
}

func newHarness(t *testing.T, opts ...otelsession.Option) *harness {
	t.Helper()
	h := &harness{t: t, reader: sdkmetric.NewManualReader(), spans: tracetest.NewSpanRecorder()}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(h.spans))
	h.server = tp.Tracer("server")
	opts = append([]otelsession.Option{
		otelsession.WithMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(h.reader))),
		otelsession.WithTracerProvider(tp),
	}, opts...)
	hooks, err := otelsession.Hooks(opts...)
	if err != nil {
		t.Fatal(err)
	}
	h.backend = &flakyStore{Store: memstore.New()}
	t.Cleanup(func() { _ = h.backend.Close() })
	cfg := session.Config[cart]{
		Cookie: session.CookieOptions{Secrets: []string{testSecret}},
		UserID: func(c cart) string { return c.User },
		Hooks:  hooks,
	}
	if h.sessions, err = session.NewStorage[cart](h.backend, cfg); err != nil {
		t.Fatal(err)
	}
	if h.other, err = session.NewStorage[cart](h.backend, cfg); err != nil {
		t.Fatal(err)
	}
	return h
}

// request is one request in flight: its span's context and the browser's
// cookie.
type request struct {
	h    *harness
	st   *session.Storage[cart] // the instance that serves it
	ctx  context.Context
	span trace.Span
	r    *http.Request
}

func (h *harness) begin(name string) *request {
	ctx, span := h.server.Start(context.Background(), name, trace.WithSpanKind(trace.SpanKindServer))
	r := httptest.NewRequest("GET", "/", nil).WithContext(ctx)
	if h.cookie != nil {
		r.AddCookie(h.cookie)
	}
	return &request{h: h, st: h.sessions, ctx: ctx, span: span, r: r}
}

func (q *request) get() *session.Session[cart] {
	q.h.t.Helper()
	s, err := q.st.Get(q.r)
	if err != nil {
		q.h.t.Fatalf("%s: Get: %v", q.name(), err)
	}
	if id := s.ID(); id != "" {
		q.h.secrets = append(q.h.secrets, id)
	}
	return s
}

// commit commits s and keeps the cookie it sets, as a browser would.
func (q *request) commit(s *session.Session[cart]) {
	q.h.t.Helper()
	w := httptest.NewRecorder()
	if err := q.st.Commit(q.ctx, w, s); err != nil {
		q.h.t.Fatalf("%s: Commit: %v", q.name(), err)
	}
	for _, c := range w.Result().Cookies() {
		q.h.cookie = c
		q.h.secrets = append(q.h.secrets, c.Value)
	}
}

func (q *request) name() string { return q.span.(sdktrace.ReadOnlySpan).Name() }

func (q *request) end() { q.span.End() }

// TestHooksRecordRequests drives a session through its life on a real
// store and checks every counter, histogram and span the hooks make.
func TestHooksRecordRequests(t *testing.T) {
	h := newHarness(t, otelsession.WithStoreName("memory"))
	const user = "user-4711-alice@example.com"
	h.secrets = append(h.secrets, user)

	// A new session, signed in.
	q := h.begin("new")
	s := q.get()
	s.Set(cart{User: user, Items: 1})
	q.commit(s)
	q.end()

	// Read, modify, write.
	q = h.begin("rmw")
	s = q.get()
	s.Update(func(c *cart) { c.Items++ })
	q.commit(s)
	q.end()

	// Two requests of the session at once on two instances: the second
	// commit loses the race in the store and is re-applied.
	a, c := h.begin("conflict-a"), h.begin("conflict-c")
	c.st = h.other
	sa, sc := a.get(), c.get()
	sa.Update(func(c *cart) { c.Items++ })
	sc.Update(func(c *cart) { c.Items += 10 })
	a.commit(sa)
	c.commit(sc)
	a.end()
	c.end()

	// The store is down.
	q = h.begin("down")
	h.backend.failRead.Store(true)
	if _, err := h.sessions.Get(q.r); !errors.As(err, new(downError)) {
		t.Fatalf("Get with the store down: %v, want a downError", err)
	}
	h.backend.failRead.Store(false)
	q.end()

	// A logout.
	q = h.begin("logout")
	s = q.get()
	if got := s.Get().Items; got != 13 {
		t.Fatalf("items %d, want 13: the re-applied commit lost a change", got)
	}
	if err := h.sessions.Destroy(q.ctx, httptest.NewRecorder(), s); err != nil {
		t.Fatal(err)
	}
	q.end()

	// Revoking the user's sessions fails in the store.
	q = h.begin("revoke")
	h.backend.failDeleteUser.Store(true)
	if _, err := h.sessions.RevokeUser(q.ctx, user); err == nil {
		t.Fatal("RevokeUser with the store failing returned no error")
	}
	q.end()

	for _, k := range h.backend.keys {
		h.secrets = append(h.secrets, k, k[:16])
	}
	m := h.collect()

	const mem = "session.store.name=memory"
	m.check(t, "session.load", "{session}", map[string]int64{
		"session.load.outcome=new," + mem:                                     1,
		"session.load.outcome=loaded," + mem:                                  4,
		"error.type=" + downType + ",session.load.outcome=store_error," + mem: 1,
	})
	m.check(t, "session.commit", "{commit}", map[string]int64{
		"session.commit.outcome=written," + mem:   3,
		"session.commit.outcome=reapplied," + mem: 1,
	})
	m.check(t, "session.lifecycle", "{event}", map[string]int64{
		"session.lifecycle.event=destroy," + mem:                                 1,
		"error.type=" + downType + ",session.lifecycle.event=revoke_user," + mem: 1,
	})
	m.check(t, "session.store.duration", "s", map[string]int64{
		"session.store.name=memory,session.store.operation=create":                                  1,
		"session.store.name=memory,session.store.operation=read":                                    5,
		"error.type=" + downType + ",session.store.name=memory,session.store.operation=read":        1,
		"session.store.name=memory,session.store.operation=compare_and_update":                      3,
		"error.type=conflict,session.store.name=memory,session.store.operation=compare_and_update":  1,
		"session.store.name=memory,session.store.operation=delete":                                  1,
		"error.type=" + downType + ",session.store.name=memory,session.store.operation=delete_user": 1,
	})
	// One cookie: the session's ID never changed, so only its first commit
	// set one.
	m.check(t, "session.cookie.size", "By", map[string]int64{mem: 1})
	m.checkBounds(t, "session.store.duration", func(b []float64) bool { return b[0] == 0.00005 && b[len(b)-1] == 1 })
	m.checkBounds(t, "session.cookie.size", func(b []float64) bool { return b[len(b)-1] == 4096 })

	// The spans: each store call a client span under its request's span.
	byRequest := map[string][]string{}
	requests := map[trace.SpanID]string{}
	var calls []sdktrace.ReadOnlySpan
	for _, sp := range h.spans.Ended() {
		if sp.SpanKind() == trace.SpanKindServer {
			requests[sp.SpanContext().SpanID()] = sp.Name()
		} else {
			calls = append(calls, sp)
		}
	}
	for _, sp := range calls {
		req, ok := requests[sp.Parent().SpanID()]
		if !ok || sp.Parent().TraceID() != sp.SpanContext().TraceID() {
			t.Errorf("span %q has no request span as its parent (parent %v)", sp.Name(), sp.Parent().SpanID())
		}
		byRequest[req] = append(byRequest[req], sp.Name())
		if sp.SpanKind() != trace.SpanKindClient {
			t.Errorf("span %q: kind %v, want client", sp.Name(), sp.SpanKind())
		}
		attrs := attrMap(sp.Attributes())
		op := strings.TrimPrefix(sp.Name(), "session.store ")
		if attrs["session.store.operation"] != op || attrs["session.store.name"] != "memory" {
			t.Errorf("span %q: attributes %v", sp.Name(), attrs)
		}
	}
	want := map[string][]string{
		"new":        {"session.store create"},
		"rmw":        {"session.store read", "session.store compare_and_update"},
		"conflict-a": {"session.store read", "session.store compare_and_update"},
		"conflict-c": {"session.store read", "session.store compare_and_update", "session.store read", "session.store compare_and_update"},
		"down":       {"session.store read"},
		"logout":     {"session.store read", "session.store delete"},
		"revoke":     {"session.store delete_user"},
	}
	for req, names := range want {
		if !slices.Equal(byRequest[req], names) {
			t.Errorf("request %q: store spans %q, want %q", req, byRequest[req], names)
		}
	}

	// Failures: the store being down is an error; a lost race is not.
	var failed, conflicts int
	for _, sp := range calls {
		attrs := attrMap(sp.Attributes())
		switch et := attrs["error.type"]; et {
		case "":
			if sp.Status().Code != codes.Unset || len(sp.Events()) != 0 {
				t.Errorf("span %q succeeded but has status %v and %d events", sp.Name(), sp.Status(), len(sp.Events()))
			}
		case "conflict":
			conflicts++
			if sp.Status().Code != codes.Unset || len(sp.Events()) != 0 {
				t.Errorf("a lost race is re-applied, not a failure: span %q has status %v, %d events", sp.Name(), sp.Status(), len(sp.Events()))
			}
		case downType:
			failed++
			if sp.Status().Code != codes.Error || sp.Status().Description != downType {
				t.Errorf("failed span %q: status %v, want Error %q", sp.Name(), sp.Status(), downType)
			}
			ev := sp.Events()
			if len(ev) != 1 || ev[0].Name != "exception" || attrMap(ev[0].Attributes)["exception.type"] != downType {
				t.Errorf("failed span %q: events %v, want one exception of type %s", sp.Name(), ev, downType)
			}
		default:
			t.Errorf("span %q: unexpected error.type %q", sp.Name(), et)
		}
	}
	if failed != 2 || conflicts != 1 {
		t.Errorf("%d failed spans and %d conflicts, want 2 and 1", failed, conflicts)
	}

	h.checkNoSecrets(m)
}

// checkNoSecrets fails if a session ID, cookie value, store key (or its
// prefix) or the user ID appears in any span name, attribute, event or
// status, or in any metric attribute.
func (h *harness) checkNoSecrets(m metrics) {
	h.t.Helper()
	if len(h.secrets) < 5 {
		h.t.Fatalf("only %d identifiers collected; the check would prove little", len(h.secrets))
	}
	var texts []string
	for _, sp := range h.spans.Ended() {
		texts = append(texts, sp.Name(), sp.Status().Description)
		texts = append(texts, values(sp.Attributes())...)
		for _, e := range sp.Events() {
			texts = append(texts, e.Name)
			texts = append(texts, values(e.Attributes)...)
		}
	}
	for _, points := range m {
		for attrs := range points {
			texts = append(texts, attrs)
		}
	}
	for _, text := range texts {
		for _, secret := range h.secrets {
			if strings.Contains(text, secret) {
				h.t.Errorf("telemetry %q contains the identifier %q", text, secret)
			}
		}
	}
}

// metrics maps a metric's name to its data points: the point's attributes
// ("k=v,k=v", sorted by key) to its sum or its histogram's count.
type metrics map[string]map[string]int64

// units and bounds, by metric name, of the last collection.
var (
	units  = map[string]string{}
	bounds = map[string][]float64{}
)

func (h *harness) collect() metrics {
	h.t.Helper()
	return collect(h.t, h.reader)
}

func collect(t *testing.T, reader *sdkmetric.ManualReader) metrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	m := metrics{}
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name != otelsession.ScopeName {
			t.Errorf("scope %q, want %q", sm.Scope.Name, otelsession.ScopeName)
		}
		for _, md := range sm.Metrics {
			points := map[string]int64{}
			units[md.Name] = md.Unit
			switch d := md.Data.(type) {
			case metricdata.Sum[int64]:
				if !d.IsMonotonic {
					t.Errorf("%s is not monotonic", md.Name)
				}
				for _, p := range d.DataPoints {
					points[encode(p.Attributes)] += p.Value
				}
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					points[encode(p.Attributes)] += int64(p.Count)
					bounds[md.Name] = p.Bounds
				}
			case metricdata.Histogram[int64]:
				for _, p := range d.DataPoints {
					points[encode(p.Attributes)] += int64(p.Count)
					bounds[md.Name] = p.Bounds
				}
			default:
				t.Errorf("%s: unexpected data %T", md.Name, md.Data)
			}
			m[md.Name] = points
		}
	}
	return m
}

func (m metrics) check(t *testing.T, name, unit string, want map[string]int64) {
	t.Helper()
	if units[name] != unit {
		t.Errorf("%s: unit %q, want %q", name, units[name], unit)
	}
	got := m[name]
	keys := map[string]bool{}
	for k := range got {
		keys[k] = true
	}
	for k := range want {
		keys[k] = true
	}
	for _, k := range sortedKeys(keys) {
		if got[k] != want[k] {
			t.Errorf("%s{%s} = %d, want %d", name, k, got[k], want[k])
		}
	}
}

func (m metrics) checkBounds(t *testing.T, name string, ok func([]float64) bool) {
	t.Helper()
	if b := bounds[name]; len(b) == 0 || !ok(b) || !sort.Float64sAreSorted(b) {
		t.Errorf("%s: bucket boundaries %v", name, b)
	}
}

func sortedKeys(set map[string]bool) []string {
	var keys []string
	for k := range set {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func encode(set attribute.Set) string {
	var parts []string
	for _, kv := range set.ToSlice() {
		parts = append(parts, string(kv.Key)+"="+kv.Value.Emit())
	}
	return strings.Join(parts, ",")
}

func attrMap(kvs []attribute.KeyValue) map[string]string {
	m := map[string]string{}
	for _, kv := range kvs {
		m[string(kv.Key)] = kv.Value.Emit()
	}
	return m
}

func values(kvs []attribute.KeyValue) []string {
	var vs []string
	for _, kv := range kvs {
		vs = append(vs, string(kv.Key)+"="+kv.Value.Emit())
	}
	return vs
}
