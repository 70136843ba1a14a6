package otelsession

import (
	"errors"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// Option configures Hooks.
type Option func(*config) error

type config struct {
	meters    metric.MeterProvider
	tracers   trace.TracerProvider
	storeName string
}

// WithMeterProvider makes the hooks record their metrics with mp instead of
// the global meter provider (otel.GetMeterProvider).
func WithMeterProvider(mp metric.MeterProvider) Option {
	return func(c *config) error {
		if mp == nil {
			return errors.New("otelsession: WithMeterProvider(nil): pass a provider, or leave the option out to use the global one")
		}
		c.meters = mp
		return nil
	}
}

// WithTracerProvider makes the hooks start their spans with tp instead of
// the global tracer provider (otel.GetTracerProvider). Pass
// go.opentelemetry.io/otel/trace/noop.NewTracerProvider() for metrics
// without spans.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(c *config) error {
		if tp == nil {
			return errors.New("otelsession: WithTracerProvider(nil): pass a provider, or leave the option out to use the global one")
		}
		c.tracers = tp
		return nil
	}
}

// WithStoreName adds the attribute session.store.name with the value name
// (say "redis", "postgresql", "memory") to every metric and span, so that
// the sessions of two storages in one program can be told apart. Use a
// fixed word, never anything per request.
func WithStoreName(name string) Option {
	return func(c *config) error {
		if name == "" {
			return errors.New("otelsession: WithStoreName(\"\"): give the store's name, or leave the option out")
		}
		c.storeName = name
		return nil
	}
}
