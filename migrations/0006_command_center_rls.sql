ALTER TABLE alerts FORCE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE dashboards FORCE ROW LEVEL SECURITY;--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON alerts, dashboards TO qa_app;--> statement-breakpoint
CREATE TRIGGER alerts_touch BEFORE UPDATE ON alerts FOR EACH ROW EXECUTE FUNCTION touch_updated_at();--> statement-breakpoint
CREATE TRIGGER dashboards_touch BEFORE UPDATE ON dashboards FOR EACH ROW EXECUTE FUNCTION touch_updated_at();--> statement-breakpoint
CREATE TRIGGER alerts_audit AFTER INSERT OR UPDATE OR DELETE ON alerts FOR EACH ROW EXECUTE FUNCTION audit_row_change();
