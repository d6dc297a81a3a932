-- The openapi/v1 role code is derived from the platform role when rendered: nothing reads the stored copy.
ALTER TABLE accounts DROP COLUMN partner_role;
