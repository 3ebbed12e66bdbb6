-- Lists that name children's cases or reports (the worklist, letters owed, the registry's
-- findings) are reads too: each case or report a list answer names is recorded with the
-- list's method and what the list was asked for (`listed`: its municipalities and filters).
-- A list that names none (the caseload's counts) is recorded once, naming neither.
alter table read_audit add column listed text;
alter table read_audit drop constraint read_audit_names_what_was_read;
alter table read_audit add constraint read_audit_names_what_was_read
    check (case_id is not null or report_id is not null or outcome = 'denied'
           or listed is not null);
