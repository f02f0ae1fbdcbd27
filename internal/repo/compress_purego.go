//go:build !cgo

package repo

// nativeZstd names the blob encoder of this build, for benchmarks and docs.
const nativeZstd = "klauspost/compress (pure Go; build with cgo for libzstd)"

// nativeEncoder is nil without cgo: encoderFor falls back to pure Go.
func nativeEncoder(int) frameEncoder { return nil }

// nativeLogEncoder is nil without cgo: log segments use encoderFor.
func nativeLogEncoder() frameEncoder { return nil }
