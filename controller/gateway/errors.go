package gateway

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	rpccode "google.golang.org/genproto/googleapis/rpc/code"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/cofferhq/coffer/controller/apierr"
	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
)

// errorHandler writes {"success": false, "error": {...}} with the HTTP
// status of the gRPC code.
func errorHandler(_ context.Context, _ *runtime.ServeMux, _ runtime.Marshaler, w http.ResponseWriter, _ *http.Request, err error) {
	httpStatus := 0
	var hs *runtime.HTTPStatusError
	if errors.As(err, &hs) {
		httpStatus, err = hs.HTTPStatus, hs.Err
	}
	st := status.Convert(err)
	msg, field := st.Message(), apierr.Field(st)
	if field == "" && st.Code() == codes.InvalidArgument {
		field = fieldOfGatewayError(msg)
	}
	detail := &cofferv1.ErrorDetail{Code: rpccode.Code(st.Code()).String(), Message: msg,
		Details: &structpb.Struct{Fields: map[string]*structpb.Value{}}}
	if field != "" {
		detail.Details.Fields["field"] = structpb.NewStringValue(field)
	}
	body, merr := protojson.MarshalOptions{EmitDefaultValues: true}.Marshal(&cofferv1.ErrorResponse{Success: false, Error: detail})
	if merr != nil {
		body = []byte(`{"success":false,"error":{"code":"INTERNAL","message":"failed to encode the error"}}`)
	}
	if httpStatus == 0 {
		httpStatus = runtime.HTTPStatusFromCode(st.Code())
	}
	if st.Code() == codes.Unauthenticated {
		w.Header().Set("WWW-Authenticate", `Bearer realm="coffer"`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(httpStatus)
	_, _ = w.Write(body)
}

// fieldOfGatewayError finds the field in the messages of requests the
// gateway could not decode: bodies (see marshaler) and query parameters.
func fieldOfGatewayError(msg string) string {
	if m := atField.FindStringSubmatch(msg); m != nil {
		return m[1]
	}
	if strings.HasPrefix(msg, decodePrefix) {
		return "body"
	}
	if m := fieldInMessage.FindStringSubmatch(msg); m != nil {
		return lowerCamel(m[1])
	}
	return ""
}

// lowerCamel turns a proto field name (start_date) into its JSON name
// (startDate), the name users send.
func lowerCamel(s string) string {
	parts := strings.Split(s, "_")
	for i := 1; i < len(parts); i++ {
		if parts[i] != "" {
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
	}
	return strings.Join(parts, "")
}

// fieldInMessage finds the field in the gateway's own decode messages
// ("parsing field \"limit\": ...", "invalid value for string field type").
var fieldInMessage = regexp.MustCompile(`(?:parsing field "|for \w+ field |unknown field ")([A-Za-z_][A-Za-z0-9_.]*)`)
