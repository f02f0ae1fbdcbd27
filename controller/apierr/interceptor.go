package apierr

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"

	"google.golang.org/grpc"
)

// UnaryInterceptor translates handler errors with ToStatus and turns a
// panic into INTERNAL instead of a crashed controller. Install it first
// (outermost) so it also sees errors of the interceptors after it.
func UnaryInterceptor(log *slog.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (resp any, err error) {
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("panic: %v\n%s", p, debug.Stack())
				resp = nil
			}
			if err != nil {
				err = ToStatus(log, info.FullMethod, err).Err()
			}
		}()
		return h(ctx, req)
	}
}

// StreamInterceptor is UnaryInterceptor for streams.
func StreamInterceptor(log *slog.Logger) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) (err error) {
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("panic: %v\n%s", p, debug.Stack())
			}
			if err != nil {
				err = ToStatus(log, info.FullMethod, err).Err()
			}
		}()
		return h(srv, ss)
	}
}
