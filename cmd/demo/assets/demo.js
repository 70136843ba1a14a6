// A page restored from the back/forward cache would show what was true
// before (say, the dashboard after logout): load it afresh instead.
addEventListener("pageshow", e => { if (e.persisted) location.reload() })
