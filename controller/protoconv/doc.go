// Package protoconv converts between catalog types and coffer.v1 messages
// where more than one controller package needs the same conversion
// (progress, steps, times, JSON objects).
package protoconv
