// Package gateway serves the controller's gRPC services as REST with
// grpc-gateway, in the API's JSON conventions: camelCase fields, every
// success wrapped as {"success": true, "data": ...} and every failure as
// {"success": false, "error": {"code", "message", "details"}} with the
// HTTP status of the gRPC code (see proto/coffer/v1/common.proto).
//
// The gateway calls the services through a real gRPC connection, so REST
// requests pass the same interceptors (authentication, error mapping) as
// gRPC ones.
package gateway
