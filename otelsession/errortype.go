package otelsession

import (
	"context"
	"errors"

	"github.com/b4f9cdbb/session"
	"github.com/b4f9cdbb/session/store"
	"go.opentelemetry.io/otel/attribute"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
)

// sentinels name the errors of the session library and its stores, in the
// order they are looked for.
var sentinels = []struct {
	err  error
	name string
}{
	{store.ErrNotFound, "not_found"},
	{store.ErrConflict, "conflict"},
	{store.ErrExists, "exists"},
	{store.ErrCorrupt, "corrupt"},
	{session.ErrCorrupt, "corrupt"},
	{session.ErrSessionDestroyed, "destroyed"},
	{session.ErrCookieTooLarge, "too_large"},
	{context.DeadlineExceeded, "timeout"},
	{context.Canceled, "canceled"},
}

// errorTypeAttr returns the error.type attribute of err: a word for the
// errors the session library defines and for timeouts, else the Go type of
// the error under fmt.Errorf's wrapping (or the value of its ErrorType
// method), else "_OTHER" for errors that have no type of their own
// (errors.New). Never the error's message, which may hold a store key.
func errorTypeAttr(err error) attribute.KeyValue {
	for _, s := range sentinels {
		if errors.Is(err, s.err) {
			return semconv.ErrorTypeKey.String(s.name)
		}
	}
	var t interface{ Timeout() bool }
	if errors.As(err, &t) && t.Timeout() {
		return semconv.ErrorTypeKey.String("timeout")
	}
	kv := semconv.ErrorType(err)
	switch kv.Value.AsString() {
	case "*errors.errorString", "*fmt.wrapError", "*fmt.wrapErrors", "*errors.joinError":
		return semconv.ErrorTypeOther
	}
	return kv
}

// expected reports whether err is an answer the session library handles
// rather than a failure of the store: no record (a revoked or expired
// session) or a lost race (the commit is re-applied).
func expected(err error) bool {
	return errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrConflict)
}
