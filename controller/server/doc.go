// Package server assembles a controller process: configuration (defaults <
// file < environment < flags), the catalog, the CA and TLS, the gRPC server
// (user API, enrollment, agent channel), the REST gateway, the dispatcher's
// sweeper and the scheduler, plus first-start bootstrap (admin token,
// default storage location). `coffer controller` and `coffer dev` both run
// a Server.
package server
