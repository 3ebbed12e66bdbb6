-- Every running deadline of every report and case, as rows holding from opened_at until
-- closed_at (when their steps were taken). Written only by the worklist projection.
create table worklist_items (
    item_id         bigint generated always as identity,
    stream_id       text not null,
    item_key        text not null,
    -- A hash of the row's own columns (crate::intervals): whether a recomputed row changed.
    fingerprint     bigint not null,
    opened_at       timestamptz not null,
    closed_at       timestamptz,
    -- When the service learned of the row, and, for a row a step dated back showed wrong,
    -- until when it was believed (crate::intervals).
    known_from      timestamptz not null,
    known_until     timestamptz,
    kind            text not null,
    report_id       uuid,
    case_id         uuid,
    municipality    text not null,
    team            text,
    caseworker      text,
    -- 0 red, 1 yellow, 2 green: sorts red first.
    urgency         smallint not null,
    last_day        date not null,
    breached_from   timestamptz not null,
    legal_reference text not null
);
-- After loading: a rebuild runs what follows once its rows are in (rebuild.rs); a new view
-- runs it at once.
alter table worklist_items add primary key (item_id);
create index worklist_items_open on worklist_items (stream_id) where closed_at is null and known_until is null;
create index worklist_items_due on worklist_items (municipality, breached_from);
