package gateway

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
)

// decodePrefix starts the message of every body that does not decode; the
// error handler recognises it and reports the field named after "at".
const decodePrefix = "malformed JSON body"

// marshaler is JSONPb whose decode errors name the JSON field where
// decoding failed, which protojson only gives as a line and column.
type marshaler struct{ *runtime.JSONPb }

func (m marshaler) NewDecoder(r io.Reader) runtime.Decoder {
	return runtime.DecoderFunc(func(v any) error {
		data, err := io.ReadAll(r)
		if err != nil {
			return fmt.Errorf("%s: %v", decodePrefix, err)
		}
		if len(bytes.TrimSpace(data)) == 0 {
			return io.EOF // an empty body is an empty request
		}
		if err := m.JSONPb.Unmarshal(data, v); err != nil {
			msg := strings.TrimPrefix(err.Error(), "proto: ")
			if field := fieldOfDecodeError(data, msg); field != "" {
				return fmt.Errorf("%s at field %q: %s", decodePrefix, field, msg)
			}
			return fmt.Errorf("%s: %s", decodePrefix, msg)
		}
		return nil
	})
}

var (
	unknownField = regexp.MustCompile(`unknown field "([^"]+)"`)
	position     = regexp.MustCompile(`\(line (\d+):(\d+)\)`)
	atField      = regexp.MustCompile(`^` + decodePrefix + ` at field "([^"]+)"`)
)

// fieldOfDecodeError finds the field a protojson error is about.
func fieldOfDecodeError(data []byte, msg string) string {
	if m := unknownField.FindStringSubmatch(msg); m != nil {
		return m[1]
	}
	m := position.FindStringSubmatch(msg)
	if m == nil {
		return ""
	}
	line, _ := strconv.Atoi(m[1])
	col, _ := strconv.Atoi(m[2])
	return keyAt(data, offsetOf(data, line, col))
}

func offsetOf(data []byte, line, col int) int {
	off := 0
	for l := 1; l < line; l++ {
		i := bytes.IndexByte(data[off:], '\n')
		if i < 0 {
			return len(data)
		}
		off += i + 1
	}
	return off + col - 1
}

// keyAt returns the dotted path of object keys enclosing byte offset off.
func keyAt(data []byte, off int) string {
	type frame struct {
		object, wantKey bool
		key             string
	}
	var stack []frame
	dec := json.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := dec.Token()
		if err != nil || int(dec.InputOffset()) > off {
			break // the token at the error position is not applied
		}
		top := len(stack) - 1
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				stack = append(stack, frame{object: true, wantKey: true})
			case '[':
				stack = append(stack, frame{})
			default:
				stack = stack[:top]
				if top > 0 && stack[top-1].object {
					stack[top-1].wantKey = true
				}
			}
		default:
			if top >= 0 && stack[top].object {
				if s, isKey := t.(string); isKey && stack[top].wantKey {
					stack[top].key, stack[top].wantKey = s, false
					continue
				}
				stack[top].wantKey = true
			}
		}
	}
	var path []string
	for _, f := range stack {
		if f.object && f.key != "" && !f.wantKey {
			path = append(path, f.key)
		}
	}
	return strings.Join(path, ".")
}
