package gateway

import (
	"strings"
	"testing"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/protobuf/encoding/protojson"

	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
)

func decodeField(t *testing.T, body string, v any) string {
	t.Helper()
	m := marshaler{&runtime.JSONPb{UnmarshalOptions: protojson.UnmarshalOptions{}}}
	r := strings.NewReader(body)
	err := m.NewDecoder(r).Decode(v)
	if err == nil {
		return ""
	}
	return fieldOfGatewayError(err.Error())
}

func TestDecodeErrorsNameTheField(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		`{"databases": 5}`:                                   "databases",
		`{"type": "full", "compression": "yes"}`:             "compression",
		`{"scheduledFor": "tomorrow"}`:                       "scheduledFor",
		`{"databases": ["a", 7]}`:                            "databases",
		`{"nope": 1}`:                                        "nope",
		"{\n  \"type\": \"full\",\n  \"includeFiles\": 3\n}": "includeFiles",
		`{"databases": [`:                                    "body",
		`not json`:                                           "body",
	}
	for body, want := range cases {
		if got := decodeField(t, body, &cofferv1.CreateBackupRequest{}); got != want {
			t.Errorf("%s: field %q, want %q", body, got, want)
		}
	}
	nested := `{"name": "s", "config": {"paths": ["/a"]}, "secrets": {"password": 5}}`
	if got := decodeField(t, nested, &cofferv1.CreateSourceRequest{}); got != "secrets.password" {
		t.Errorf("nested: field %q", got)
	}
}

// FuzzDecodeField: request bodies come from the network; locating the
// field of a decode error must never panic.
func FuzzDecodeField(f *testing.F) {
	f.Add(`{"databases": 5}`)
	f.Add(`{"a": {"b": [1, {"c": x}]}}`)
	f.Add("{\n\"x\":\n")
	f.Fuzz(func(t *testing.T, body string) {
		fieldOfDecodeError([]byte(body), "(line 1:5): x")
		fieldOfDecodeError([]byte(body), "(line 3:1): x")
		keyAt([]byte(body), len(body)/2)
	})
}
