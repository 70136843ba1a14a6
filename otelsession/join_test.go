package otelsession_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/b4f9cdbb/session"
	"github.com/b4f9cdbb/session/otelsession"
)

type ctxKey string

func TestJoin(t *testing.T) {
	var log []string
	hook := func(name string) session.Hooks {
		return session.Hooks{
			Load: func(_ context.Context, e session.LoadEvent) { log = append(log, name+" load "+e.Outcome.String()) },
			StoreCall: func(ctx context.Context, op session.StoreOp) (context.Context, func(error, time.Duration)) {
				log = append(log, name+" start "+op.String()+" seeing "+seen(ctx))
				ctx = context.WithValue(ctx, ctxKey(name), true)
				return ctx, func(err error, _ time.Duration) { log = append(log, name+" end "+err.Error()) }
			},
		}
	}
	commitOnly := session.Hooks{Commit: func(context.Context, session.CommitEvent) { log = append(log, "c commit") }}
	startOnly := session.Hooks{StoreCall: func(ctx context.Context, _ session.StoreOp) (context.Context, func(error, time.Duration)) {
		log = append(log, "d start seeing "+seen(ctx))
		return ctx, nil
	}}

	h := otelsession.Join(hook("a"), commitOnly, session.Hooks{}, hook("b"), startOnly)
	if h.Lifecycle != nil {
		t.Error("Lifecycle is set though no hook had one: it would cost a call for nothing")
	}
	h.Load(context.Background(), session.LoadEvent{Outcome: session.LoadNew})
	h.Commit(context.Background(), session.CommitEvent{})
	ctx, end := h.StoreCall(context.Background(), session.StoreRead)
	end(errors.New("boom"), time.Millisecond)
	want := []string{
		"a load new", "b load new", "c commit",
		"a start read seeing ", "b start read seeing a", "d start seeing ab",
		"b end boom", "a end boom",
	}
	if !slices.Equal(log, want) {
		t.Errorf("calls:\n%q\nwant\n%q", log, want)
	}
	if seen(ctx) != "ab" {
		t.Errorf("the returned context carries %q, want both hooks' values", seen(ctx))
	}

	if h := otelsession.Join(); h.Load != nil || h.Commit != nil || h.Lifecycle != nil || h.StoreCall != nil {
		t.Error("Join() set a hook")
	}
	if _, end := otelsession.Join(startOnly, startOnly).StoreCall(context.Background(), session.StoreRead); end != nil {
		t.Error("Join of StoreCall hooks without end functions returned one")
	}
}

func seen(ctx context.Context) string {
	var s string
	for _, name := range []string{"a", "b"} {
		if ctx.Value(ctxKey(name)) != nil {
			s += name
		}
	}
	return s
}
