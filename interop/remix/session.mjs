// Requests against a real React Router (or Remix v2) session storage,
// driven by the Go interop tests.
//
// Reads JSON requests on stdin, one per line, and answers each with one line
// of JSON on stdout, in order. A request:
//   lib       "react-router" (default) or "remix-node" (@remix-run/node v2)
//   storage   "cookie" (createCookieSessionStorage, default) or "server"
//             (createSessionStorage over the in-memory `records`)
//   cookie    { name, secrets, ...other createCookie options }
//   header    the request's Cookie header, or absent
//   take      names to session.get() (reading a flash removes it)
//   set       { name: value } for session.set()
//   flash     { name: value } for session.flash()
//   unset     names for session.unset()
//   destroy   true to call destroySession instead of commitSession
//   commit    false to skip committing (default true)
//   records   { id: data } the server storage's records before the request
//   newId     the ID createData hands out for a new server-side session
//
// The answer:
//   id        session.id after getSession
//   data      session.data after getSession (flash members included)
//   has       { name: session.has(name) } for each name in `take`
//   taken     { name: value } for each name in `take` that was present
//   setCookie what commitSession / destroySession returned (or null)
//   records   the server storage's records after the request
// or { error } if the request threw.

import { createInterface } from "node:readline";

function storageFor(lib, req, records) {
  const cookie = { name: "__session", ...(req.cookie || {}) };
  if ((req.storage || "cookie") === "cookie") {
    return lib.createCookieSessionStorage({ cookie });
  }
  return lib.createSessionStorage({
    cookie,
    async createData(data) {
      const id = req.newId || Math.random().toString(36).slice(2);
      records[id] = data;
      return id;
    },
    async readData(id) {
      return Object.hasOwn(records, id) ? records[id] : null;
    },
    async updateData(id, data) {
      records[id] = data;
    },
    async deleteData(id) {
      delete records[id];
    },
  });
}

async function handle(req) {
  // Each library is loaded on first use: each takes a while to import.
  const lib = await import(req.lib === "remix-node" ? "@remix-run/node" : "react-router");
  const records = { ...(req.records || {}) };
  const storage = storageFor(lib, req, records);

  const session = await storage.getSession(req.header ?? null);
  const out = { id: session.id, data: session.data, has: {}, taken: {}, setCookie: null, records };
  for (const name of req.take || []) {
    out.has[name] = session.has(name);
    if (out.has[name]) out.taken[name] = session.get(name);
  }
  for (const [name, value] of Object.entries(req.set || {})) session.set(name, value);
  for (const [name, value] of Object.entries(req.flash || {})) session.flash(name, value);
  for (const name of req.unset || []) session.unset(name);
  if (req.destroy) {
    out.setCookie = await storage.destroySession(session);
  } else if (req.commit !== false) {
    out.setCookie = await storage.commitSession(session);
  }
  return out;
}

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
  if (line.trim() === "") continue;
  let out;
  try {
    out = await handle(JSON.parse(line));
  } catch (e) {
    out = { error: String(e && e.stack ? e.stack : e) };
  }
  process.stdout.write(JSON.stringify(out) + "\n");
}
