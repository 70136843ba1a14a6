// Package ginsession carries typed sessions from
// github.com/b4f9cdbb/session into a gin application.
//
// Register the middleware once, on the engine or on a group, and reach
// the session in any handler below it with Get:
//
//	r := gin.New()
//	r.Use(ginsession.Middleware(sessions))
//	r.GET("/", func(c *gin.Context) {
//		s, err := ginsession.Get(c, sessions)
//		if err != nil {
//			c.AbortWithError(http.StatusInternalServerError, err) // the store failed
//			return
//		}
//		s.Update(func(d *Data) { d.Count++ })
//		c.String(http.StatusOK, "%d", s.Get().Count)
//	})
//
// Handlers never commit: the session is loaded on the first Get and saved
// just before the response's headers go out, as with the storage's own
// net/http middleware (session.Storage.Middleware), which this package
// puts in gin's terms. Regenerate, Destroy, Save and the flash helpers are
// the storage's own, called with c.Request.Context() and c.Writer:
//
//	err := sessions.Regenerate(c.Request.Context(), s)        // at login
//	err := sessions.Destroy(c.Request.Context(), c.Writer, s) // at logout
//
// # Status codes and errors
//
// gin holds a response's status back until the first byte of its body, or
// until the handlers have run. The middleware commits at that moment, so
// it sees the status gin really sends: a 4xx answer still saves the
// session, a 5xx one (c.AbortWithStatus(http.StatusInternalServerError),
// say) saves nothing, so a handler that failed half-way leaves the user's
// session as it was (session.CommitOnServerError changes that); nor does a
// panic that gin.Recovery answers.
//
// When the handlers below it have run without writing anything, the
// middleware sends the headers itself, to commit before it returns; so
// middleware that adds headers after c.Next() goes below it (registered
// after it), or sets them before c.Next().
//
// A commit that fails (session.ErrCookieTooLarge, session.ErrConflict, a
// store error) replaces the handler's response, which is never sent, as if
// the handler had called c.AbortWithError(http.StatusInternalServerError,
// err): the middleware above sees status 500 and the error in c.Errors.
package ginsession
