// Package remix tests the codec.NewRemix cookie format against the real
// React Router (react-router) and Remix v2 (@remix-run/node) session
// storages, run with Node.js through session.mjs.
//
// The tests skip when node or node_modules is missing; install the pinned
// packages with `npm ci --prefix interop/remix` first.
package remix
