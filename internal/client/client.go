package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// Client calls the REST API.
type Client struct {
	// Addr is the base URL, e.g. http://127.0.0.1:8080.
	Addr  string
	Token string
	HTTP  *http.Client
}

// APIError is a failed call: the API's error object and HTTP status.
type APIError struct {
	Status  int
	Code    string
	Message string
	Field   string
}

func (e *APIError) Error() string {
	if e.Field != "" && !strings.Contains(e.Message, e.Field) {
		return fmt.Sprintf("%s (%s): %s", e.Code, e.Field, e.Message)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

type envelope struct {
	Success bool            `json:"success"`
	Data    json.RawMessage `json:"data"`
	Error   *struct {
		Code    string         `json:"code"`
		Message string         `json:"message"`
		Details map[string]any `json:"details"`
	} `json:"error"`
}

var unmarshal = protojson.UnmarshalOptions{DiscardUnknown: true}

// Do sends body (a proto message, or nil) and decodes the response's data
// into out (when not nil). It returns the raw data too, for --json.
func (c *Client) Do(ctx context.Context, method, path string, q url.Values, body proto.Message, out proto.Message) (json.RawMessage, error) {
	var rd io.Reader
	if body != nil {
		raw, err := protojson.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(raw)
	}
	u := strings.TrimRight(c.Addr, "/") + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: time.Minute}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("controller at %s: %w", c.Addr, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("read response: %w", err)
	}
	var env envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		return nil, fmt.Errorf("%s %s: HTTP %d with a body that is not the API's JSON (is COFFER_ADDR the controller's REST address?)", method, path, resp.StatusCode)
	}
	if !env.Success || env.Error != nil {
		e := &APIError{Status: resp.StatusCode, Code: "UNKNOWN", Message: http.StatusText(resp.StatusCode)}
		if env.Error != nil {
			e.Code, e.Message = env.Error.Code, env.Error.Message
			e.Field, _ = env.Error.Details["field"].(string)
		}
		return nil, e
	}
	if out != nil {
		if err := unmarshal.Unmarshal(env.Data, out); err != nil {
			return nil, fmt.Errorf("decode %s response: %w", path, err)
		}
	}
	return env.Data, nil
}

// mustJSON renders a message as the API does.
func mustJSON(m proto.Message) json.RawMessage {
	b, err := protojson.MarshalOptions{EmitDefaultValues: true}.Marshal(m)
	if err != nil {
		return json.RawMessage(`{}`)
	}
	return b
}
