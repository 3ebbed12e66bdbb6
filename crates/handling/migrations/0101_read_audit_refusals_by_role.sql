-- A read refused by role is refused before its request is read: it is recorded without the
-- case or report it named. Every answered read still names what it read.
alter table read_audit drop constraint read_audit_check;
alter table read_audit add constraint read_audit_names_what_was_read
    check (case_id is not null or report_id is not null or outcome = 'denied');
