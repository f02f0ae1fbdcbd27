//go:build !cgo

package repo

// nativeZstd names the blob encoder of this build, for benchmarks and docs.
const nativeZstd = "klauspost/compress (pure Go; build with cgo for libzstd)"

// haveNative: without cgo there is no libzstd; encoderFor uses pure Go.
const haveNative = false

// nativeEncoder is nil without cgo (never called: see haveNative).
func nativeEncoder(int) frameEncoder { return nil }

// nativeLogEncoder is nil without cgo (never called: see haveNative).
func nativeLogEncoder() frameEncoder { return nil }
