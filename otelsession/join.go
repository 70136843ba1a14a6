package otelsession

import (
	"context"
	"time"

	"github.com/b4f9cdbb/session"
)

// Join returns hooks that call each of hooks in turn, so that these
// OpenTelemetry hooks and hooks of your own can share one Config.Hooks:
//
//	cfg.Hooks = otelsession.Join(otelHooks, session.Hooks{Commit: audit})
//
// A hook that none of them sets stays nil, and so costs nothing. StoreCall
// hooks are nested: each gets the context the previous one returned (the
// first one's span is the parent of the next one's), and their end
// functions run in the reverse order.
func Join(hooks ...session.Hooks) session.Hooks {
	var (
		loads      []func(context.Context, session.LoadEvent)
		commits    []func(context.Context, session.CommitEvent)
		lifecycles []func(context.Context, session.LifecycleEvent)
		calls      []func(context.Context, session.StoreOp) (context.Context, func(error, time.Duration))
	)
	for _, h := range hooks {
		if h.Load != nil {
			loads = append(loads, h.Load)
		}
		if h.Commit != nil {
			commits = append(commits, h.Commit)
		}
		if h.Lifecycle != nil {
			lifecycles = append(lifecycles, h.Lifecycle)
		}
		if h.StoreCall != nil {
			calls = append(calls, h.StoreCall)
		}
	}
	return session.Hooks{
		Load:      each(loads),
		Commit:    each(commits),
		Lifecycle: each(lifecycles),
		StoreCall: nest(calls),
	}
}

// each returns a function that calls every one of fs; nil for none.
func each[E any](fs []func(context.Context, E)) func(context.Context, E) {
	switch len(fs) {
	case 0:
		return nil
	case 1:
		return fs[0]
	}
	return func(ctx context.Context, e E) {
		for _, f := range fs {
			f(ctx, e)
		}
	}
}

// nest returns a StoreCall hook that calls every one of fs.
func nest(fs []func(context.Context, session.StoreOp) (context.Context, func(error, time.Duration))) func(context.Context, session.StoreOp) (context.Context, func(error, time.Duration)) {
	switch len(fs) {
	case 0:
		return nil
	case 1:
		return fs[0]
	}
	return func(ctx context.Context, op session.StoreOp) (context.Context, func(error, time.Duration)) {
		var ends []func(error, time.Duration)
		for _, f := range fs {
			var end func(error, time.Duration)
			if ctx, end = f(ctx, op); end != nil {
				ends = append(ends, end)
			}
		}
		if len(ends) == 0 {
			return ctx, nil
		}
		return ctx, func(err error, took time.Duration) {
			for i := len(ends) - 1; i >= 0; i-- {
				ends[i](err, took)
			}
		}
	}
}
