package repo

import (
	"bytes"
	"testing"
	"time"
)

// FuzzLogSegment: stored log files come from storage; any bytes must give
// content or a *CorruptionError, never a panic or unbounded allocation,
// and what decodes must be what the header promises.
func FuzzLogSegment(f *testing.F) {
	const object = "wal/main/00000001/000000010000000000000001"
	var n byte
	nonces := func() []byte { n++; return bytes.Repeat([]byte{n}, 12) }
	enc := &logEncoder{keys: fuzzKeys, salt: make([]byte, logSaltSize), nonce: nonces}
	for _, data := range [][]byte{nil, []byte("wal"), bytes.Repeat([]byte{0}, logFrameSize+3)} {
		obj, err := enc.encode(LogSegmentInfo{Object: object, ContentID: fuzzKeys.blobID(data), Archived: time.Unix(1, 0)}, data)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(obj)
	}
	f.Add([]byte{1, 0, 0, 0, 0})
	f.Add(append(append([]byte{1, 0, 0, 0, 0}, make([]byte, 32)...), 0xff, 0xff, 0xff, 0xff))
	f.Fuzz(func(t *testing.T, raw []byte) {
		info, data, err := decodeLogSegment(fuzzKeys, object, raw)
		if err != nil {
			if !IsCorruption(err) {
				t.Fatalf("error is not a corruption: %v", err)
			}
			return
		}
		if int64(len(data)) != info.Size || fuzzKeys.blobID(data) != info.ContentID {
			t.Fatalf("decoded %d bytes, header says %d", len(data), info.Size)
		}
	})
}

// FuzzParseLogFile: file names come from PostgreSQL and storage listings;
// accepted names must map to an object under wal/<stream>/ that parses back
// to the same file.
func FuzzParseLogFile(f *testing.F) {
	f.Add("main", "000000010000000000000001")
	f.Add("main", "00000002.history")
	f.Add("x", "000000010000000000000002.00000028.backup")
	f.Add("x", "000000010000000000000002.partial")
	f.Fuzz(func(t *testing.T, stream, name string) {
		lf, err := ParseLogFile(stream, name)
		if err != nil {
			return
		}
		obj := lf.Object()
		if want := "wal/" + stream + "/"; len(obj) <= len(want) || obj[:len(want)] != want || bytes.Contains([]byte(obj), []byte("..")) {
			t.Fatalf("object %q escapes wal/%s/", obj, stream)
		}
		again, err := ParseLogFile(stream, name)
		if err != nil || again != lf {
			t.Fatalf("parse not stable: %+v %+v %v", lf, again, err)
		}
	})
}
