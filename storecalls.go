package session

import (
	"context"
	"time"

	"github.com/b4f9cdbb/session/store"
)

// The storage calls its store only through these methods, so that
// Hooks.StoreCall sees every call. With no hook set they cost one nil check.

// call is one store call reported to Hooks.StoreCall: begin asks the hook
// for the call's context, end reports how it went. A value, not a closure,
// so that observing a call allocates nothing of ours.
type call struct {
	end   func(error, time.Duration)
	start time.Time
}

func (st *Storage[T]) begin(ctx context.Context, op StoreOp) (context.Context, call) {
	ctx, end := st.cfg.Hooks.StoreCall(ctx, op)
	return ctx, call{end: end, start: time.Now()}
}

func (c call) done(err error) {
	if c.end != nil {
		c.end(err, time.Since(c.start))
	}
}

func (st *Storage[T]) read(ctx context.Context, key store.Key) (store.Record, error) {
	if st.cfg.Hooks.StoreCall == nil {
		return st.store.Read(ctx, key)
	}
	ctx, c := st.begin(ctx, StoreRead)
	rec, err := st.store.Read(ctx, key)
	c.done(err)
	return rec, err
}

func (st *Storage[T]) create(ctx context.Context, key store.Key, rec store.Record) error {
	if st.cfg.Hooks.StoreCall == nil {
		return st.store.Create(ctx, key, rec)
	}
	ctx, c := st.begin(ctx, StoreCreate)
	err := st.store.Create(ctx, key, rec)
	c.done(err)
	return err
}

// update writes rec over the record under key: CompareAndUpdate against
// rec.Version on a Versioned store, a plain Update otherwise.
func (st *Storage[T]) update(ctx context.Context, key store.Key, rec store.Record) error {
	if st.cfg.Hooks.StoreCall == nil {
		if st.versioned != nil {
			return st.versioned.CompareAndUpdate(ctx, key, rec)
		}
		return st.store.Update(ctx, key, rec)
	}
	var err error
	if st.versioned != nil {
		ctx, c := st.begin(ctx, StoreCompareAndUpdate)
		err = st.versioned.CompareAndUpdate(ctx, key, rec)
		c.done(err)
	} else {
		ctx, c := st.begin(ctx, StoreUpdate)
		err = st.store.Update(ctx, key, rec)
		c.done(err)
	}
	return err
}

func (st *Storage[T]) delete(ctx context.Context, key store.Key) (bool, error) {
	if st.cfg.Hooks.StoreCall == nil {
		return st.store.Delete(ctx, key)
	}
	ctx, c := st.begin(ctx, StoreDelete)
	live, err := st.store.Delete(ctx, key)
	c.done(err)
	return live, err
}

func (st *Storage[T]) listUser(ctx context.Context, userID string) ([]store.Info, error) {
	if st.cfg.Hooks.StoreCall == nil {
		return st.index.ListUser(ctx, userID)
	}
	ctx, c := st.begin(ctx, StoreListUser)
	list, err := st.index.ListUser(ctx, userID)
	c.done(err)
	return list, err
}

func (st *Storage[T]) deleteUser(ctx context.Context, userID string) (int, error) {
	if st.cfg.Hooks.StoreCall == nil {
		return st.index.DeleteUser(ctx, userID)
	}
	ctx, c := st.begin(ctx, StoreDeleteUser)
	n, err := st.index.DeleteUser(ctx, userID)
	c.done(err)
	return n, err
}
