package otelsession_test

import (
	"context"
	"strings"
	"testing"

	"github.com/b4f9cdbb/session"
	"github.com/b4f9cdbb/session/otelsession"
	"go.opentelemetry.io/otel"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

func TestOptionErrors(t *testing.T) {
	for name, opt := range map[string]otelsession.Option{
		"WithMeterProvider":  otelsession.WithMeterProvider(nil),
		"WithTracerProvider": otelsession.WithTracerProvider(nil),
		"WithStoreName":      otelsession.WithStoreName(""),
	} {
		if _, err := otelsession.Hooks(opt); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s with nothing: error %v, want one naming the option", name, err)
		}
	}
}

// TestGlobalProviders: without options, the hooks use the providers the
// program installed globally.
func TestGlobalProviders(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	spans := tracetest.NewSpanRecorder()
	oldMeters, oldTracers := otel.GetMeterProvider(), otel.GetTracerProvider()
	otel.SetMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)))
	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans)))
	t.Cleanup(func() {
		otel.SetMeterProvider(oldMeters)
		otel.SetTracerProvider(oldTracers)
	})

	h, err := otelsession.Hooks()
	if err != nil {
		t.Fatal(err)
	}
	if got := oneRead(t, h, reader); got != 1 {
		t.Errorf("the global meter provider got %d store calls, want 1", got)
	}
	if n := len(spans.Ended()); n != 1 {
		t.Errorf("the global tracer provider got %d spans, want 1", n)
	}
}

// TestSampledOut: with every span sampled out, the metrics are recorded
// all the same.
func TestSampledOut(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	spans := tracetest.NewSpanRecorder()
	h, err := otelsession.Hooks(
		otelsession.WithMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))),
		otelsession.WithTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.NeverSample()), sdktrace.WithSpanProcessor(spans))),
	)
	if err != nil {
		t.Fatal(err)
	}
	if got := oneRead(t, h, reader); got != 1 {
		t.Errorf("%d store calls recorded, want 1", got)
	}
	if n := len(spans.Ended()); n != 0 {
		t.Errorf("%d spans recorded though all were sampled out", n)
	}
}

// oneRead reports a store read to h and returns how many reads reader
// then holds.
func oneRead(t *testing.T, h session.Hooks, reader *sdkmetric.ManualReader) int64 {
	t.Helper()
	_, end := h.StoreCall(context.Background(), session.StoreRead)
	end(nil, 0)
	return collect(t, reader)["session.store.duration"]["session.store.operation=read"]
}
