package crypto

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"testing"
)

// TestDeriveRFC5869 checks Derive against RFC 5869 test case 1 (first 32
// bytes of the OKM).
func TestDeriveRFC5869(t *testing.T) {
	t.Parallel()
	ikm := bytes.Repeat([]byte{0x0b}, 22)
	salt, _ := hex.DecodeString("000102030405060708090a0b0c")
	info, _ := hex.DecodeString("f0f1f2f3f4f5f6f7f8f9")
	got := Derive(ikm, salt, string(info))
	want := "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
	if hex.EncodeToString(got[:]) != want {
		t.Fatalf("got %x, want %s", got, want)
	}
}

func TestSealOpenInPlace(t *testing.T) {
	t.Parallel()
	a := NewAEAD(Key{1})
	msg := []byte("attack at dawn")
	buf := make([]byte, NonceSize+len(msg)+TagSize)
	copy(buf[NonceSize:], msg)
	sealed := a.Seal(buf[:0], buf[NonceSize:NonceSize+len(msg)], []byte("aad"))
	if &sealed[0] != &buf[0] || len(sealed) != len(buf) {
		t.Fatal("Seal did not work in place")
	}
	plain, err := a.Open(sealed[NonceSize:NonceSize], sealed, []byte("aad"))
	if err != nil || !bytes.Equal(plain, msg) {
		t.Fatalf("Open: %q %v", plain, err)
	}
	sealed = a.Seal(nil, msg, []byte("aad"))
	for i := range sealed {
		c := bytes.Clone(sealed)
		c[i] ^= 0x40
		if _, err := a.Open(nil, c, []byte("aad")); !errors.Is(err, ErrAuth) {
			t.Fatalf("flipped byte %d: %v", i, err)
		}
	}
	if _, err := a.Open(nil, sealed, []byte("other")); !errors.Is(err, ErrAuth) {
		t.Fatal("wrong AAD accepted")
	}
	if _, err := a.Open(nil, sealed[:10], nil); !errors.Is(err, ErrAuth) {
		t.Fatal("short input accepted")
	}
}

func TestKeyIsNotPrinted(t *testing.T) {
	t.Parallel()
	k := Key{0xab, 0xcd}
	for _, s := range []string{fmt.Sprint(k), fmt.Sprintf("%v %+v %#v %s", k, k, k, k)} {
		if bytes.Contains([]byte(s), []byte("ab")) || bytes.Contains([]byte(s), []byte("171")) {
			t.Fatalf("key material in %q", s)
		}
		if !bytes.Contains([]byte(s), []byte("redacted")) {
			t.Fatalf("%q", s)
		}
	}
}
