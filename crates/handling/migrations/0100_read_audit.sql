-- Who read which case or report, when, through which method and why; and who was refused.
-- Append-only like the events: the database refuses changes to it. Versions 100 and up are
-- this crate's; the event store's migrations ignore them and these ignore the store's.
create table read_audit (
    id        bigint generated always as identity primary key,
    read_at   timestamptz not null,
    subject   text not null,
    role      text not null,
    method    text not null,
    case_id   uuid,
    report_id uuid,
    purpose   text,
    outcome   text not null check (outcome in ('read', 'denied')),
    check (case_id is not null or report_id is not null)
);

create index read_audit_by_case on read_audit (case_id, id) where case_id is not null;
create index read_audit_by_report on read_audit (report_id, id) where report_id is not null;

create function read_audit_refuse_change() returns trigger
language plpgsql as $$
begin
    raise exception 'the read audit is append-only: % refused', tg_op using errcode = 'VR003';
end
$$;

create trigger read_audit_append_only
    before update or delete or truncate on read_audit
    for each statement execute function read_audit_refuse_change();
