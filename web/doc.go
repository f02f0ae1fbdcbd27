// Package web serves the dashboard: one static page, embedded in the
// binary, that reads the same REST API as every other client with the
// operator's token. It has no build step and no third-party assets, so it
// works on air-gapped controllers.
package web
