package store

import (
	"context"
	"encoding/json"
	"time"
)

// AuditEvent records who did what to which object, for the audit trail.
type AuditEvent struct {
	ID         int64
	At         time.Time
	Actor      string // "system", "user:12", "customer:5"…
	Action     string
	ObjectType string
	ObjectID   string
	IP         string
	Data       json.RawMessage
}

// AddAudit appends e to the audit trail and sets its ID and time.
func (s *Store) AddAudit(ctx context.Context, e *AuditEvent) error {
	e.At = s.now()
	data := e.Data
	if len(data) == 0 {
		data = json.RawMessage(`{}`)
	}
	err := s.w().QueryRowContext(ctx,
		`INSERT INTO audit_events (at, actor, action, object_type, object_id, ip, data)
		 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		e.At, e.Actor, e.Action, e.ObjectType, e.ObjectID, e.IP, string(data)).Scan(&e.ID)
	return mapErr(err, "add audit event")
}

// AuditFor returns the audit trail of one object, oldest first.
func (s *Store) AuditFor(ctx context.Context, objectType, objectID string) ([]AuditEvent, error) {
	rows, err := s.r().QueryContext(ctx,
		`SELECT id, at, actor, action, object_type, object_id, ip, data FROM audit_events
		 WHERE object_type = $1 AND object_id = $2 ORDER BY at, id`, objectType, objectID)
	if err != nil {
		return nil, mapErr(err, "audit trail")
	}
	defer rows.Close()
	var out []AuditEvent
	for rows.Next() {
		var e AuditEvent
		var data string
		if err := rows.Scan(&e.ID, &e.At, &e.Actor, &e.Action, &e.ObjectType, &e.ObjectID, &e.IP, &data); err != nil {
			return nil, mapErr(err, "audit trail")
		}
		e.Data = json.RawMessage(data)
		out = append(out, e)
	}
	return out, mapErr(rows.Err(), "audit trail")
}
