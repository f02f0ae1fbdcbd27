// Package api implements the controller's user-facing gRPC services
// (backups, recovery, schedules, sources, storage locations, agents, API
// tokens) on top of the catalog. grpc-gateway serves the same services as
// REST (see controller/gateway).
//
// Handlers validate input and return domain errors (apierr.FieldError,
// catalog sentinels, ...); the apierr interceptor turns them into status
// codes, so no handler picks a code. Every state change is written to the
// audit log. Secrets in requests are sealed before they reach the catalog
// and never appear in responses.
package api
