package main

import (
	"context"
	"fmt"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/b4f9cdbb/session"
	"github.com/b4f9cdbb/session/otelsession"
)

// metrics is what -metrics adds: the storage's OpenTelemetry hooks, read by
// a Prometheus exporter that /metrics serves as text. Nothing in it names a
// session or a user.
type metrics struct {
	hooks    session.Hooks
	handler  http.Handler
	shutdown func(context.Context) error
}

func newMetrics(storeName string) (*metrics, error) {
	reg := prometheus.NewRegistry()
	exporter, err := otelprom.New(otelprom.WithRegisterer(reg))
	if err != nil {
		return nil, fmt.Errorf("-metrics: %w", err)
	}
	provider := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter))
	hooks, err := otelsession.Hooks(otelsession.WithMeterProvider(provider), otelsession.WithStoreName(storeName))
	if err != nil {
		return nil, fmt.Errorf("-metrics: %w", err)
	}
	return &metrics{
		hooks:    hooks,
		handler:  promhttp.HandlerFor(reg, promhttp.HandlerOpts{}),
		shutdown: provider.Shutdown,
	}, nil
}
