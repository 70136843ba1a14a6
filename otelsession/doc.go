// Package otelsession reports what a session.Storage does as OpenTelemetry
// metrics and spans.
//
// It is built on session.Hooks: Hooks returns a set of hooks that count
// loads, commits and lifecycle events, time every store call and wrap it in
// a client span that is a child of the request's span. Put them on the
// storage's Config:
//
//	h, err := otelsession.Hooks(otelsession.WithStoreName("redis"))
//	if err != nil {
//		return err
//	}
//	cfg.Hooks = h
//	sessions, err := session.NewStorage(redisStore, cfg)
//
// Without options the hooks use the global providers (otel.GetMeterProvider
// and otel.GetTracerProvider), which forward to whatever the program
// installs with otel.SetMeterProvider and otel.SetTracerProvider, even
// later. WithMeterProvider and WithTracerProvider name others. To keep hooks
// of your own beside these, combine them with Join.
//
// # Instruments
//
// Every name follows the OpenTelemetry semantic conventions' style
// (lowercase, dot-separated, UCUM units); the README lists them all:
//
//   - session.load, a counter of loaded sessions by session.load.outcome
//   - session.commit, a counter of commits by session.commit.outcome
//   - session.lifecycle, a counter of Destroy, Regenerate and revocations by
//     session.lifecycle.event
//   - session.store.duration, a histogram of store calls in seconds by
//     session.store.operation
//   - session.cookie.size, a histogram of the Set-Cookie values written, in
//     bytes
//
// A failure adds error.type: a short word for the errors this library and
// its stores define (not_found, conflict, corrupt, timeout, …), otherwise
// the Go type of the underlying error, or "_OTHER".
//
// # Spans
//
// Each store call is a span named "session.store <operation>" (say
// "session.store read") of kind client, with the attribute
// session.store.operation (and session.store.name with WithStoreName). A
// failed call gets error.type, an "exception" event with exception.type and
// the status Error. Two answers are not failures of the store but ordinary
// outcomes the session library handles, so they get error.type but keep the
// status Unset: a read that finds no record (store.ErrNotFound: a revoked
// or expired session) and a compare-and-update that lost a race
// (store.ErrConflict: the commit is re-applied).
//
// # No identifiers
//
// No attribute, span name or event carries a session ID, a store key or a
// user ID; the hooks never see them. Error messages are not recorded either,
// since stores put key prefixes into them: the error's type is, and Get,
// Commit and the other calls return the error itself to the caller.
package otelsession
