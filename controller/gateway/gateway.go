package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/textproto"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
)

// maxBody bounds request bodies; API requests are small.
const maxBody = 4 << 20

// New returns the REST handler for the services behind conn.
func New(ctx context.Context, conn *grpc.ClientConn) (http.Handler, error) {
	m := &runtime.JSONPb{
		MarshalOptions:   protojson.MarshalOptions{EmitDefaultValues: true},
		UnmarshalOptions: protojson.UnmarshalOptions{},
	}
	mux := runtime.NewServeMux(
		runtime.WithMarshalerOption(runtime.MIMEWildcard, marshaler{m}),
		runtime.WithForwardResponseRewriter(wrap(m.MarshalOptions)),
		runtime.WithErrorHandler(errorHandler),
		runtime.WithIncomingHeaderMatcher(headerMatcher),
		runtime.WithDisablePathLengthFallback(),
	)
	for name, register := range map[string]func(context.Context, *runtime.ServeMux, *grpc.ClientConn) error{
		"backups":           cofferv1.RegisterBackupServiceHandler,
		"recovery":          cofferv1.RegisterRecoveryServiceHandler,
		"schedules":         cofferv1.RegisterBackupScheduleServiceHandler,
		"sources":           cofferv1.RegisterSourceServiceHandler,
		"storage locations": cofferv1.RegisterStorageLocationServiceHandler,
		"agents":            cofferv1.RegisterAgentServiceHandler,
		"tokens":            cofferv1.RegisterApiTokenServiceHandler,
	} {
		if err := register(ctx, mux, conn); err != nil {
			return nil, fmt.Errorf("register %s gateway: %w", name, err)
		}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		mux.ServeHTTP(w, r)
	}), nil
}

// headerMatcher forwards the idempotency key besides the defaults
// (Authorization is always forwarded).
func headerMatcher(key string) (string, bool) {
	if textproto.CanonicalMIMEHeaderKey(key) == "Idempotency-Key" {
		return "idempotency-key", true
	}
	return runtime.DefaultHeaderMatcher(key)
}

// envelope is {"success": true, "data": <message>}.
type envelope struct {
	data proto.Message
	mo   protojson.MarshalOptions
}

func (e envelope) MarshalJSON() ([]byte, error) {
	data, err := e.mo.Marshal(e.data)
	if err != nil {
		return nil, err
	}
	return json.Marshal(struct {
		Success bool            `json:"success"`
		Data    json.RawMessage `json:"data"`
	}{true, data})
}

func wrap(mo protojson.MarshalOptions) runtime.ForwardResponseRewriter {
	return func(_ context.Context, resp proto.Message) (any, error) {
		return envelope{data: resp, mo: mo}, nil
	}
}
