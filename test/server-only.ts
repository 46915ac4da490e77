// Stands in for the `server-only` marker under vitest: tests run on the server side,
// where Next.js would resolve the marker to its empty "react-server" export too.
export {};
