// Package client is the command-line client of the controller's REST API:
// `coffer backup`, `coffer restore`, `coffer recovery`, `coffer schedule`,
// `coffer source`, `coffer token` and the admin subcommands of `coffer
// agent`. It finds the controller in COFFER_ADDR (default
// http://127.0.0.1:8080) and authenticates with the bearer token in
// COFFER_TOKEN (or --token-file).
//
// Responses are decoded into the generated coffer.v1 messages, so the CLI
// reads exactly the JSON shapes the API documents; --json prints the
// response's data object as is.
package client
