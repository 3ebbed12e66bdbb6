-- The serving process records reads and lists them; it cannot change or remove a record (no
-- UPDATE, DELETE or TRUNCATE, and not the table's owner). The role is made by the event
-- store's migration 0005.
grant select, insert on read_audit to vern_app;
