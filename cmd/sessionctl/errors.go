package main

import (
	"errors"
	"fmt"
	"io"
)

// exitCode prints err, if any, and returns the exit code it stands for.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return exitOK
	}
	var c *codeError
	if errors.As(err, &c) {
		if c.err != nil {
			fmt.Fprintln(stderr, "sessionctl:", c.err)
		}
		return c.code
	}
	fmt.Fprintln(stderr, "sessionctl:", err)
	return exitFailed
}

// codeError carries the exit code of an error other than exitFailed. Its
// err may be nil when the command has already said everything (a help
// text, an inspect verdict).
type codeError struct {
	code int
	err  error
}

func (e *codeError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *codeError) Unwrap() error { return e.err }

// usageErrorf returns an error that exits with exitUsage.
func usageErrorf(format string, args ...any) error {
	return &codeError{code: exitUsage, err: fmt.Errorf(format, args...)}
}
