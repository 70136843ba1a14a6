package otelsession

import (
	"context"
	"fmt"
	"time"

	"github.com/b4f9cdbb/session"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// ScopeName is the instrumentation scope of the meter and the tracer the
// hooks use.
const ScopeName = "github.com/b4f9cdbb/session/otelsession"

// The attributes, as listed in the README.
const (
	loadOutcomeKey    = attribute.Key("session.load.outcome")
	commitOutcomeKey  = attribute.Key("session.commit.outcome")
	lifecycleEventKey = attribute.Key("session.lifecycle.event")
	storeOperationKey = attribute.Key("session.store.operation")
	storeNameKey      = attribute.Key("session.store.name")
)

// storeDurationBounds spread the histogram's buckets from 50 µs (a memory
// store) to 1 s (a database under load), about three per decade.
var storeDurationBounds = []float64{
	0.00005, 0.0001, 0.00025, 0.0005,
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
	0.1, 0.25, 0.5, 1,
}

// cookieSizeBounds go up to 4096 bytes, the size browsers are required to
// accept for one cookie.
var cookieSizeBounds = []float64{64, 128, 256, 512, 1024, 1536, 2048, 3072, 4096}

// Hooks returns session hooks that record metrics and spans for everything
// a Storage does; assign them to Config.Hooks. The error is about an
// option, or an instrument the meter provider refused.
func Hooks(opts ...Option) (session.Hooks, error) {
	var c config
	for _, o := range opts {
		if err := o(&c); err != nil {
			return session.Hooks{}, err
		}
	}
	if c.meters == nil {
		c.meters = otel.GetMeterProvider()
	}
	if c.tracers == nil {
		c.tracers = otel.GetTracerProvider()
	}
	r, err := newRecorder(c)
	if err != nil {
		return session.Hooks{}, err
	}
	return session.Hooks{Load: r.load, Commit: r.commit, Lifecycle: r.lifecycle, StoreCall: r.storeCall}, nil
}

// recorder holds the instruments and, for each outcome, event and store
// operation, its attributes built once, so that the usual paths build none.
type recorder struct {
	loads, commits, lifecycles metric.Int64Counter
	storeDuration              metric.Float64Histogram
	cookieSize                 metric.Int64Histogram
	tracer                     trace.Tracer

	// The options are slices so that passing them (opts...) allocates
	// nothing.
	base       []attribute.KeyValue // session.store.name, if set
	cookieOpts []metric.RecordOption
	loadOpts   [][]metric.AddOption // by session.LoadOutcome
	commitOpts [][]metric.AddOption // by session.CommitOutcome
	eventOpts  [][]metric.AddOption // by session.LifecycleKind
	ops        []*storeOp           // by session.StoreOp
}

// storeOp is what the hooks need for one kind of store call.
type storeOp struct {
	name  string // the span's name
	attrs []attribute.KeyValue
	start []trace.SpanStartOption
	ok    []metric.RecordOption
}

func newRecorder(c config) (*recorder, error) {
	meter := c.meters.Meter(ScopeName, metric.WithSchemaURL(semconv.SchemaURL))
	r := &recorder{tracer: c.tracers.Tracer(ScopeName, trace.WithSchemaURL(semconv.SchemaURL))}
	var err error
	if r.loads, err = meter.Int64Counter("session.load", metric.WithUnit("{session}"),
		metric.WithDescription("Sessions loaded from requests, by how the load ended.")); err != nil {
		return nil, instrumentError("session.load", err)
	}
	if r.commits, err = meter.Int64Counter("session.commit", metric.WithUnit("{commit}"),
		metric.WithDescription("Session commits, by how they ended.")); err != nil {
		return nil, instrumentError("session.commit", err)
	}
	if r.lifecycles, err = meter.Int64Counter("session.lifecycle", metric.WithUnit("{event}"),
		metric.WithDescription("Destroy, Regenerate, RevokeSession and RevokeUser calls.")); err != nil {
		return nil, instrumentError("session.lifecycle", err)
	}
	if r.storeDuration, err = meter.Float64Histogram("session.store.duration", metric.WithUnit("s"),
		metric.WithDescription("Duration of calls to the session store."),
		metric.WithExplicitBucketBoundaries(storeDurationBounds...)); err != nil {
		return nil, instrumentError("session.store.duration", err)
	}
	if r.cookieSize, err = meter.Int64Histogram("session.cookie.size", metric.WithUnit("By"),
		metric.WithDescription("Size of the session cookies written (the Set-Cookie value)."),
		metric.WithExplicitBucketBoundaries(cookieSizeBounds...)); err != nil {
		return nil, instrumentError("session.cookie.size", err)
	}
	if c.storeName != "" {
		r.base = []attribute.KeyValue{storeNameKey.String(c.storeName)}
	}
	r.cookieOpts = []metric.RecordOption{r.set()}
	r.loadOpts = byValue[session.LoadOutcome](r, loadOutcomeKey)
	r.commitOpts = byValue[session.CommitOutcome](r, commitOutcomeKey)
	r.eventOpts = byValue[session.LifecycleKind](r, lifecycleEventKey)
	for op := range values[session.StoreOp]() {
		r.ops = append(r.ops, r.newStoreOp(op))
	}
	return r, nil
}

func instrumentError(name string, err error) error {
	return fmt.Errorf("otelsession: creating the instrument %s: %w", name, err)
}

// enum is what the session package's outcome, event and operation types
// have in common.
type enum interface {
	~uint8
	String() string
}

// values yields every value of E that has a name, in order.
func values[E enum]() func(yield func(E) bool) {
	return func(yield func(E) bool) {
		for i := 0; i < 256 && E(i).String() != "unknown"; i++ {
			if !yield(E(i)) {
				return
			}
		}
	}
}

// byValue builds the attribute set of every value of E under key.
func byValue[E enum](r *recorder, key attribute.Key) [][]metric.AddOption {
	var opts [][]metric.AddOption
	for v := range values[E]() {
		opts = append(opts, []metric.AddOption{r.set(key.String(v.String()))})
	}
	return opts
}

// set returns the base attributes plus kvs, as one measurement option.
func (r *recorder) set(kvs ...attribute.KeyValue) metric.MeasurementOption {
	return metric.WithAttributeSet(attribute.NewSet(r.attrs(kvs...)...))
}

// attrs returns the base attributes plus kvs, in a new slice.
func (r *recorder) attrs(kvs ...attribute.KeyValue) []attribute.KeyValue {
	return append(append(make([]attribute.KeyValue, 0, len(r.base)+len(kvs)), r.base...), kvs...)
}

// withError returns the attributes of a failed event: those of kv and
// error.type.
func (r *recorder) withError(kv attribute.KeyValue, err error) metric.MeasurementOption {
	return r.set(kv, errorTypeAttr(err))
}

func (r *recorder) load(ctx context.Context, e session.LoadEvent) {
	if e.Outcome == session.LoadStoreError && e.Err != nil {
		r.loads.Add(ctx, 1, r.withError(loadOutcomeKey.String(e.Outcome.String()), e.Err))
		return
	}
	r.loads.Add(ctx, 1, pick(r, r.loadOpts, e.Outcome, loadOutcomeKey)...)
}

func (r *recorder) commit(ctx context.Context, e session.CommitEvent) {
	if e.Outcome == session.CommitError && e.Err != nil {
		r.commits.Add(ctx, 1, r.withError(commitOutcomeKey.String(e.Outcome.String()), e.Err))
	} else {
		r.commits.Add(ctx, 1, pick(r, r.commitOpts, e.Outcome, commitOutcomeKey)...)
	}
	if e.CookieSize > 0 {
		r.cookieSize.Record(ctx, int64(e.CookieSize), r.cookieOpts...)
	}
}

func (r *recorder) lifecycle(ctx context.Context, e session.LifecycleEvent) {
	if e.Err != nil {
		r.lifecycles.Add(ctx, 1, r.withError(lifecycleEventKey.String(e.Kind.String()), e.Err))
		return
	}
	r.lifecycles.Add(ctx, 1, pick(r, r.eventOpts, e.Kind, lifecycleEventKey)...)
}

// pick returns the prepared attributes of v, or builds them for a value
// this package did not know when the recorder was made.
func pick[E enum](r *recorder, opts [][]metric.AddOption, v E, key attribute.Key) []metric.AddOption {
	if int(v) < len(opts) {
		return opts[v]
	}
	return []metric.AddOption{r.set(key.String(v.String()))}
}

func (r *recorder) newStoreOp(op session.StoreOp) *storeOp {
	attrs := r.attrs(storeOperationKey.String(op.String()))
	return &storeOp{
		name:  "session.store " + op.String(),
		attrs: attrs,
		start: []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...)},
		ok:    []metric.RecordOption{metric.WithAttributeSet(attribute.NewSet(attrs...))},
	}
}

// storeCall starts a client span for the store call, as a child of the
// span in ctx, and returns the function that records the call's duration
// and ends the span.
func (r *recorder) storeCall(ctx context.Context, op session.StoreOp) (context.Context, func(error, time.Duration)) {
	o := r.storeOp(op)
	ctx, span := r.tracer.Start(ctx, o.name, o.start...)
	return ctx, func(err error, took time.Duration) {
		if err == nil {
			r.storeDuration.Record(ctx, took.Seconds(), o.ok...)
			span.End()
			return
		}
		et := errorTypeAttr(err)
		r.storeDuration.Record(ctx, took.Seconds(), metric.WithAttributes(append(o.attrs[:len(o.attrs):len(o.attrs)], et)...))
		span.SetAttributes(et)
		if !expected(err) {
			span.AddEvent(semconv.ExceptionEventName, trace.WithAttributes(semconv.ExceptionTypeKey.String(et.Value.AsString())))
			span.SetStatus(codes.Error, et.Value.AsString())
		}
		span.End()
	}
}

func (r *recorder) storeOp(op session.StoreOp) *storeOp {
	if int(op) < len(r.ops) {
		return r.ops[op]
	}
	return r.newStoreOp(op)
}
