package memstore

import "time"

// makeRoom evicts records until the shard holds fewer than its share of the
// cap, so that one more fits. sh.mu must be held for writing.
func (sh *shard) makeRoom(now time.Time) {
	for len(sh.records) >= sh.max {
		v := sh.victim(now)
		if v == nil {
			return // sh.max is at least 1, so this cannot happen
		}
		sh.remove(v)
	}
}

// victim returns the record to evict when the shard is full: an expired
// record if there is one, else the anonymous record that expires soonest,
// else the signed-in record that expires soonest. Signed-in users thus
// keep their sessions through a flood of anonymous ones. It returns nil
// only for an empty shard. sh.mu must be held.
func (sh *shard) victim(now time.Time) *entry {
	a, u := sh.anon.top(), sh.users.top()
	// The soonest-expiring record of the shard is one of the two tops; if
	// it has expired, it goes first whatever its class.
	if soonest := earlier(a, u); soonest != nil && expired(soonest.rec, now) {
		return soonest
	}
	if a != nil {
		return a
	}
	return u
}

// earlier returns whichever of a and b expires first; either may be nil.
func earlier(a, b *entry) *entry {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	case b.rec.Expires.Before(a.rec.Expires):
		return b
	}
	return a
}
