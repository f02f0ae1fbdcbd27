package repo

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/crypto"
)

// Every decoder of stored bytes must return an error, never panic or
// allocate without bound, whatever the input. Seeds are real encodings.

var fuzzKeys = newKeySet(crypto.Key{42})

func FuzzPackHeader(f *testing.F) {
	entries := []packEntry{
		{Type: DataBlob, ID: ID{1}, Offset: 0, Length: 100, RawLength: 200},
		{Type: TreeBlob, ID: ID{2}, Offset: 100, Length: 50, RawLength: 21},
	}
	f.Add(encodePackHeader(entries), 150)
	f.Add([]byte{0}, 0)
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, 10)
	f.Fuzz(func(t *testing.T, plain []byte, headerStart int) {
		if headerStart < 0 {
			headerStart = -headerStart
		}
		got, err := decodePackHeader(plain, headerStart)
		if err == nil {
			// What decodes must re-encode to the same bytes.
			if string(encodePackHeader(got)) != string(plain) {
				t.Fatalf("re-encoding differs")
			}
		}
	})
}

func FuzzPackTrailer(f *testing.F) {
	pack := ID{9}
	a, _ := fuzzKeys.packAEAD(0, pack)
	body := make([]byte, 100)
	sec := sealPackHeader(a, pack, 0, encodePackHeader([]packEntry{{Type: DataBlob, ID: ID{1}, Length: 100, RawLength: 3}}))
	full := append(append(body, sec...), byte(len(sec)), 0, 0, 0)
	f.Add(full)
	f.Add([]byte{1, 2, 3})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, raw []byte) {
		hs, err := splitPackTrailer(raw)
		if err != nil {
			return
		}
		if hs < 0 || hs > len(raw)-packTrailerSize {
			t.Fatalf("header start %d outside a %d-byte pack", hs, len(raw))
		}
		openPackHeader(fuzzKeys, pack, raw[hs:len(raw)-packTrailerSize], hs)
		verifyPack(&Repository{keys: fuzzKeys}, packInfo{ID: pack}, raw)
	})
}

func FuzzIndex(f *testing.F) {
	packs := []packInfo{{ID: ID{3}, Size: 1000, Blobs: []packEntry{{Type: DataBlob, ID: ID{4}, Offset: 0, Length: 500, RawLength: 700}}}}
	body := encodeIndexBody(packs)
	f.Add(body)
	f.Add(sealObject(fuzzKeys.metadata, body, indexAAD(ID{5})))
	f.Add([]byte{1, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, raw []byte) {
		if got, err := decodeIndexBody(raw); err == nil {
			if string(encodeIndexBody(got)) != string(raw) {
				t.Fatalf("re-encoding differs")
			}
		}
		if b, err := openObject(fuzzKeys.metadata, raw, indexAAD(ID{5})); err == nil {
			decodeIndexBody(b)
		}
	})
}

func FuzzSnapshot(f *testing.F) {
	sn, _ := json.Marshal(&Snapshot{Time: time.Unix(1, 0), Tree: ID{1}, Paths: []string{"/"}})
	f.Add(sealObject(fuzzKeys.metadata, sn, snapshotAAD(ID{6})))
	f.Add([]byte("{}"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		decodeSnapshot(fuzzKeys, ID{6}, raw)
	})
}

func FuzzKeySlot(f *testing.F) {
	slot := KeySlot{Version: 1, Kind: KindPassphrase, Label: "x", Created: time.Unix(0, 0).UTC()}
	NewPassphraseKEKWithParams([]byte("pw"), cheapKDF).Wrap(context.Background(), &slot, keySlotAAD("s"), make([]byte, 32))
	f.Add(encodeKeySlot("s", slot, fuzzKeys))
	f.Add([]byte(`{"version":1,"kind":"passphrase","kdf":{"algorithm":"argon2id","memory":4294967295,"time":4294967295,"threads":255,"salt":"AAAAAAAAAAAAAAAAAAAAAA=="}}`))
	f.Add([]byte(`{"version":1,"kind":"keyfile","nonce":"AAAA","wrapped":null}`))
	kf, _ := NewKeyFileKEKFromBytes(make([]byte, 32))
	pp := NewPassphraseKEK([]byte("pw"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		s, err := decodeKeySlot(raw)
		if err != nil {
			return
		}
		verifyKeySlot("s", raw, s, fuzzKeys)
		// Unwrapping must stay cheap and bounded whatever the KDF fields say;
		// skip inputs whose (valid) parameters are merely slow.
		if s.KDF != nil && s.KDF.validate() == nil && (s.KDF.Memory > 1024 || s.KDF.Time > 2) {
			return
		}
		kf.Unwrap(context.Background(), s, keySlotAAD("s"))
		pp.Unwrap(context.Background(), s, keySlotAAD("s"))
	})
}

func FuzzConfig(f *testing.F) {
	c, _ := newConfig(InitOptions{}, time.Unix(0, 0))
	f.Add(encodeConfig(c, fuzzKeys))
	f.Add([]byte(`{"version":2}`))
	f.Add([]byte(`{"version":null}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		cf, err := decodeConfig(raw)
		if err != nil {
			return
		}
		verifyConfig(raw, cf, fuzzKeys)
	})
}

func FuzzBlobPlaintext(f *testing.F) {
	f.Add(compressBlob(nil, []byte("hello hello hello hello hello hello")), 35)
	f.Add(compressBlob(nil, make([]byte, 1<<16)), 1<<16)
	f.Add([]byte{0, 1, 2, 3}, 3)
	f.Add([]byte{1, 0x28, 0xb5, 0x2f, 0xfd, 0x60, 0xff, 0xff}, -1)
	f.Fuzz(func(t *testing.T, plain []byte, want int) {
		want = min(want, 1<<20)
		out, err := decompressBlob(nil, plain, want, 1<<20)
		if err == nil && want >= 0 && len(out) != want {
			t.Fatalf("decoded %d bytes, want %d", len(out), want)
		}
		// Sealed blobs go through authentication first.
		a, _ := fuzzKeys.packAEAD(0, ID{})
		openBlob(a, append([]byte(nil), plain...), DataBlob, ID{})
	})
}
