package api_test

import (
	"context"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cofferhq/coffer/controller/apierr"
	ct "github.com/cofferhq/coffer/controller/internal/controllertest"
	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
)

// The same services over gRPC (TLS, bearer token): same auth, same codes,
// the field in the status details.
func TestGRPCAPI(t *testing.T) {
	t.Parallel()
	c := ct.Start(t)
	ctx := context.Background()
	_, err := cofferv1.NewBackupServiceClient(c.UserConn(t, "")).ListBackups(ctx, &cofferv1.ListBackupsRequest{})
	if status.Code(err) != codes.Unauthenticated {
		t.Fatalf("no token over gRPC: %v", err)
	}
	backups := cofferv1.NewBackupServiceClient(c.UserConn(t, c.Token))
	resp, err := backups.ListBackups(ctx, &cofferv1.ListBackupsRequest{Limit: 5})
	if err != nil || resp.GetPagination().GetLimit() != 5 {
		t.Fatalf("ListBackups: %v %v", resp, err)
	}
	_, err = backups.CreateBackup(ctx, &cofferv1.CreateBackupRequest{Databases: []string{"ghost"}})
	st := status.Convert(err)
	if st.Code() != codes.InvalidArgument || apierr.Field(st) != "databases[0]" {
		t.Fatalf("unknown source over gRPC: %v (field %q)", err, apierr.Field(st))
	}
}
