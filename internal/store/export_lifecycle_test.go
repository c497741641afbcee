package store

import "context"

// InsertManagerForTest makes the LMS account ref a manager of the customer
// (rule C9), the way the companies' code records it.
func (s *Store) InsertManagerForTest(ctx context.Context, customerID int64, ref string) error {
	_, err := s.w().ExecContext(ctx,
		`INSERT INTO customer_managers (customer_id, lms_user_ref, role, created_at) VALUES ($1, $2, 'manager', $3)`,
		customerID, ref, s.now())
	return err
}
