package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
)

// MaxAlertDetail bounds an alert's detail document.
const MaxAlertDetail = 8 << 10

// RecordAlert appends an alert a runtime component raised about a model
// (the gateway's "alert.extraction", say) to the audit log and publishes
// it: alerts reach subscribers and webhooks exactly as state changes do,
// and stay in the tamper-evident record. kind must start with "alert.".
func (s *Service) RecordAlert(ctx context.Context, a Actor, model, kind, reason string, detail any) (*AuditEntry, error) {
	if err := a.Allow(RolePublisher, model); err != nil {
		return nil, err
	}
	if !strings.HasPrefix(kind, "alert.") || len(kind) > 64 {
		return nil, fmt.Errorf("alert kind %q must start with \"alert.\" and be at most 64 bytes", kind)
	}
	b, err := json.Marshal(detail)
	if err != nil || len(b) > MaxAlertDetail {
		return nil, fmt.Errorf("alert detail must be JSON of at most %d bytes", MaxAlertDetail)
	}
	e := &AuditEntry{Actor: a.ID, Action: kind, Model: model, Reason: reason, Detail: b}
	if err := s.store.Append(ctx, e); err != nil {
		return nil, err
	}
	s.events.Publish(*e)
	return e, nil
}
