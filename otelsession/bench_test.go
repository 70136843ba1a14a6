package otelsession_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/b4f9cdbb/session"
	"github.com/b4f9cdbb/session/memstore"
	"github.com/b4f9cdbb/session/otelsession"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// discard is a span processor that exports nothing, so that the recording
// variant measures making the spans, not an exporter.
type discard struct{}

func (discard) OnStart(context.Context, sdktrace.ReadWriteSpan) {}
func (discard) OnEnd(sdktrace.ReadOnlySpan)                     {}
func (discard) Shutdown(context.Context) error                  { return nil }
func (discard) ForceFlush(context.Context) error                { return nil }

// BenchmarkHooks measures one read-modify-write request (Get with a
// cookie, Update, CommitHeader; a read and a compare-and-update in
// memstore) without hooks and with the OpenTelemetry hooks on an SDK meter
// provider, under a no-op tracer, a tracer that samples every span out and
// one that records every span.
//
//	go test -run '^$' -bench BenchmarkHooks -benchtime 2s ./...
func BenchmarkHooks(b *testing.B) {
	tracers := map[string]trace.TracerProvider{
		"noop":        noop.NewTracerProvider(),
		"sampled-out": sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.NeverSample())),
		"recording":   sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()), sdktrace.WithSpanProcessor(discard{})),
	}
	b.Run("off", func(b *testing.B) { benchmarkRequest(b, session.Hooks{}) })
	for _, name := range []string{"noop", "sampled-out", "recording"} {
		b.Run("otel/tracer="+name, func(b *testing.B) {
			h, err := otelsession.Hooks(
				otelsession.WithMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))),
				otelsession.WithTracerProvider(tracers[name]),
				otelsession.WithStoreName("memory"),
			)
			if err != nil {
				b.Fatal(err)
			}
			benchmarkRequest(b, h)
		})
	}
}

func benchmarkRequest(b *testing.B, hooks session.Hooks) {
	backend := memstore.New()
	defer backend.Close()
	sessions, err := session.NewStorage(backend, session.Config[cart]{
		Cookie: session.CookieOptions{Secrets: []string{testSecret}},
		Hooks:  hooks,
	})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	s, _ := sessions.Get(httptest.NewRequest("GET", "/", nil))
	s.Set(cart{Items: 1})
	w := httptest.NewRecorder()
	if err := sessions.Commit(ctx, w, s); err != nil {
		b.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.AddCookie(w.Result().Cookies()[0])
	header := http.Header{}
	b.ReportAllocs()
	for b.Loop() {
		s, err := sessions.Get(r)
		if err != nil {
			b.Fatal(err)
		}
		s.Update(func(c *cart) { c.Items++ })
		clear(header)
		if err := sessions.CommitHeader(ctx, header, s); err != nil {
			b.Fatal(err)
		}
	}
}
