package auth

import (
	"slices"

	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
	"github.com/cofferhq/coffer/internal/catalog"
)

// Permission is what an RPC requires.
type Permission string

const (
	// PermRead: list and inspect backups, restores, schedules, sources,
	// storage locations and agents.
	PermRead Permission = "read"
	// PermOperate: run, cancel and verify backups; manage schedules.
	PermOperate Permission = "operate"
	// PermRestore: restore and cancel restores.
	PermRestore Permission = "restore"
	// PermDelete: delete backups (destroys data).
	PermDelete Permission = "delete"
	// PermAdmin: sources, storage locations, agents, join and API tokens.
	PermAdmin Permission = "admin"
	// PermAudit: read the audit log.
	PermAudit Permission = "audit"

	// Methods that do not take a bearer token.
	// PermJoinToken: the request carries a join token (Enroll).
	PermJoinToken Permission = "join-token"
	// PermAgentCert: the caller must present an agent client certificate.
	PermAgentCert Permission = "agent-cert"
	// PermAgentLocal: served by an agent on its local WAL socket, never by
	// the controller, which refuses it.
	PermAgentLocal Permission = "agent-local"
)

// RoleAgent is the machine role: it grants nothing on the user API.
const RoleAgent = "agent"

// roles grants permissions. Unknown roles get nothing.
var roles = map[string][]Permission{
	catalog.RoleAdmin:    {PermRead, PermOperate, PermRestore, PermDelete, PermAdmin, PermAudit},
	catalog.RoleOperator: {PermRead, PermOperate},
	catalog.RoleRestorer: {PermRead, PermOperate, PermRestore},
	catalog.RoleAuditor:  {PermRead, PermAudit},
	RoleAgent:            {},
}

// ValidRole reports whether role can be given to an API token.
func ValidRole(role string) bool {
	_, ok := roles[role]
	return ok
}

// Roles lists the roles for messages.
func Roles() []string {
	return []string{catalog.RoleAdmin, catalog.RoleOperator, catalog.RoleRestorer, catalog.RoleAuditor, RoleAgent}
}

// Allows reports whether role has perm.
func Allows(role string, perm Permission) bool {
	return slices.Contains(roles[role], perm)
}

// methods is the permission each RPC needs. A method not listed is refused.
var methods = map[string]Permission{
	cofferv1.BackupService_ListBackups_FullMethodName:  PermRead,
	cofferv1.BackupService_GetBackup_FullMethodName:    PermRead,
	cofferv1.BackupService_CreateBackup_FullMethodName: PermOperate,
	cofferv1.BackupService_CancelBackup_FullMethodName: PermOperate,
	cofferv1.BackupService_VerifyBackup_FullMethodName: PermOperate,
	cofferv1.BackupService_DeleteBackup_FullMethodName: PermDelete,

	cofferv1.RecoveryService_GetRecoveryStatus_FullMethodName: PermRead,
	cofferv1.RecoveryService_ListRecoveryJobs_FullMethodName:  PermRead,
	cofferv1.RecoveryService_Restore_FullMethodName:           PermRestore,
	cofferv1.RecoveryService_CancelRecovery_FullMethodName:    PermRestore,

	cofferv1.BackupScheduleService_ListBackupSchedules_FullMethodName:  PermRead,
	cofferv1.BackupScheduleService_GetBackupSchedule_FullMethodName:    PermRead,
	cofferv1.BackupScheduleService_CreateBackupSchedule_FullMethodName: PermOperate,
	cofferv1.BackupScheduleService_UpdateBackupSchedule_FullMethodName: PermOperate,
	cofferv1.BackupScheduleService_DeleteBackupSchedule_FullMethodName: PermOperate,

	cofferv1.SourceService_ListSources_FullMethodName:         PermRead,
	cofferv1.SourceService_GetSource_FullMethodName:           PermRead,
	cofferv1.SourceService_CreateSource_FullMethodName:        PermAdmin,
	cofferv1.SourceService_UpdateSource_FullMethodName:        PermAdmin,
	cofferv1.SourceService_DeleteSource_FullMethodName:        PermAdmin,
	cofferv1.SourceService_GetSourceWalArchive_FullMethodName: PermRead,

	cofferv1.StorageLocationService_ListStorageLocations_FullMethodName:  PermRead,
	cofferv1.StorageLocationService_GetStorageLocation_FullMethodName:    PermRead,
	cofferv1.StorageLocationService_CreateStorageLocation_FullMethodName: PermAdmin,
	cofferv1.StorageLocationService_UpdateStorageLocation_FullMethodName: PermAdmin,
	cofferv1.StorageLocationService_DeleteStorageLocation_FullMethodName: PermAdmin,
	cofferv1.StorageLocationService_TestStorageLocation_FullMethodName:   PermAdmin,

	cofferv1.AgentService_ListAgents_FullMethodName:      PermRead,
	cofferv1.AgentService_GetAgent_FullMethodName:        PermRead,
	cofferv1.AgentService_UpdateAgent_FullMethodName:     PermAdmin,
	cofferv1.AgentService_DeleteAgent_FullMethodName:     PermAdmin,
	cofferv1.AgentService_CreateJoinToken_FullMethodName: PermAdmin,
	cofferv1.AgentService_RevokeAgent_FullMethodName:     PermAdmin,

	cofferv1.ApiTokenService_ListApiTokens_FullMethodName:  PermAdmin,
	cofferv1.ApiTokenService_GetApiToken_FullMethodName:    PermAdmin,
	cofferv1.ApiTokenService_CreateApiToken_FullMethodName: PermAdmin,
	cofferv1.ApiTokenService_DeleteApiToken_FullMethodName: PermAdmin,

	cofferv1.EnrollmentService_Enroll_FullMethodName:           PermJoinToken,
	cofferv1.EnrollmentService_RenewCertificate_FullMethodName: PermAgentCert,

	cofferv1.WalSocketService_PushWal_FullMethodName:    PermAgentLocal,
	cofferv1.WalSocketService_FetchWal_FullMethodName:   PermAgentLocal,
	cofferv1.AgentChannelService_Connect_FullMethodName: PermAgentCert,
}

// MethodPermission returns what method needs; false for unknown methods.
func MethodPermission(method string) (Permission, bool) {
	p, ok := methods[method]
	return p, ok
}
