// Package apierr is the one place where the controller's domain errors
// become gRPC status codes (and, through the gateway, HTTP statuses).
//
// Handlers return plain errors: catalog sentinels, cron parse errors, the
// FieldError and PreconditionError types here. The interceptors in this
// package translate them with the table in status.go; nothing else in the
// controller picks a status code. Unclassified errors become INTERNAL with
// a reference ID that is logged beside the real error, so internals never
// reach the client.
package apierr
