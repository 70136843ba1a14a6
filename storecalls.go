package session

import (
	"context"
	"time"

	"github.com/b4f9cdbb/session/store"
)

// The storage calls its store only through these methods, so that
// Hooks.StoreCall sees every call. With no hook set they cost one nil check.

// observe starts a store call for Hooks.StoreCall; the caller calls done
// with the call's error when it returns.
func (st *Storage[T]) observe(ctx context.Context, op StoreOp) (context.Context, func(error)) {
	ctx, end := st.cfg.Hooks.StoreCall(ctx, op)
	if end == nil {
		return ctx, func(error) {}
	}
	start := time.Now()
	return ctx, func(err error) { end(err, time.Since(start)) }
}

func (st *Storage[T]) read(ctx context.Context, key store.Key) (store.Record, error) {
	if st.cfg.Hooks.StoreCall == nil {
		return st.store.Read(ctx, key)
	}
	ctx, done := st.observe(ctx, StoreRead)
	rec, err := st.store.Read(ctx, key)
	done(err)
	return rec, err
}

func (st *Storage[T]) create(ctx context.Context, key store.Key, rec store.Record) error {
	if st.cfg.Hooks.StoreCall == nil {
		return st.store.Create(ctx, key, rec)
	}
	ctx, done := st.observe(ctx, StoreCreate)
	err := st.store.Create(ctx, key, rec)
	done(err)
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
		ctx, done := st.observe(ctx, StoreCompareAndUpdate)
		err = st.versioned.CompareAndUpdate(ctx, key, rec)
		done(err)
	} else {
		ctx, done := st.observe(ctx, StoreUpdate)
		err = st.store.Update(ctx, key, rec)
		done(err)
	}
	return err
}

func (st *Storage[T]) delete(ctx context.Context, key store.Key) (bool, error) {
	if st.cfg.Hooks.StoreCall == nil {
		return st.store.Delete(ctx, key)
	}
	ctx, done := st.observe(ctx, StoreDelete)
	live, err := st.store.Delete(ctx, key)
	done(err)
	return live, err
}

func (st *Storage[T]) listUser(ctx context.Context, userID string) ([]store.Info, error) {
	if st.cfg.Hooks.StoreCall == nil {
		return st.index.ListUser(ctx, userID)
	}
	ctx, done := st.observe(ctx, StoreListUser)
	list, err := st.index.ListUser(ctx, userID)
	done(err)
	return list, err
}

func (st *Storage[T]) deleteUser(ctx context.Context, userID string) (int, error) {
	if st.cfg.Hooks.StoreCall == nil {
		return st.index.DeleteUser(ctx, userID)
	}
	ctx, done := st.observe(ctx, StoreDeleteUser)
	n, err := st.index.DeleteUser(ctx, userID)
	done(err)
	return n, err
}
