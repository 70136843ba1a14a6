// Package echosession carries typed sessions from
// github.com/b4f9cdbb/session into an echo (v4) application.
//
// Register the middleware once, on the server or on a group, and reach
// the session in any handler below it with Get:
//
//	e := echo.New()
//	e.Use(echosession.Middleware(sessions))
//	e.GET("/", func(c echo.Context) error {
//		s, err := echosession.Get(c, sessions)
//		if err != nil {
//			return err // the store failed: echo's error handler answers 500
//		}
//		s.Update(func(d *Data) { d.Count++ })
//		return c.String(http.StatusOK, fmt.Sprint(s.Get().Count))
//	})
//
// Handlers never commit: the session is loaded on the first Get and saved
// just before the response's headers go out, as with the storage's own
// net/http middleware (session.Storage.Middleware), which this package
// puts in echo's terms. Regenerate, Destroy, Save and the flash helpers are
// the storage's own, called with c.Request().Context() and c.Response():
//
//	err := sessions.Regenerate(c.Request().Context(), s)            // at login
//	err := sessions.Destroy(c.Request().Context(), c.Response(), s) // at logout
//
// # Errors and status codes
//
// A handler's error goes to echo's HTTPErrorHandler inside the middleware,
// so the session sees the status the error handler chose: a 4xx error
// response still saves the session (a flash set before returning
// echo.ErrBadRequest reaches the browser), a 5xx one saves nothing, so a
// handler that failed half-way leaves the user's session as it was
// (session.CommitOnServerError changes that); nor does a panic that echo's
// Recover middleware answers. The error is still returned
// up the chain, as echo's RequestLogger does, for the middleware above
// to log; echo's default error handler does not answer twice.
//
// A commit that fails (session.ErrCookieTooLarge, session.ErrConflict, a
// store error) replaces the handler's response with echo's error response
// for that error, through HTTPErrorHandler, and the middleware returns it.
// A custom HTTPErrorHandler can tell it apart with errors.Is.
//
// Unlike echo.WrapMiddleware(sessions.Middleware()), which runs the error
// handler only after the session has been committed as if the response
// were a 200, this middleware never saves the session of a failed request.
package echosession
