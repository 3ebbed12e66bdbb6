-- Open cases and unscreened reports with their team, caseworker and urgency, as rows holding
-- from opened_at until closed_at (when their steps were taken). Written only by the caseload projection.
create table caseload_items (
    item_id      bigint generated always as identity,
    stream_id    text not null,
    item_key     text not null,
    -- A hash of the row's own columns (crate::intervals): whether a recomputed row changed.
    fingerprint  bigint not null,
    opened_at    timestamptz not null,
    closed_at    timestamptz,
    -- When the service learned of the row, and, for a row a step dated back showed wrong,
    -- until when it was believed (crate::intervals).
    known_from   timestamptz not null,
    known_until  timestamptz,
    -- 'case' or 'report'
    kind         text not null,
    municipality text not null,
    team         text,
    caseworker   text,
    urgency      smallint not null
);
-- After loading: a rebuild runs what follows once its rows are in (rebuild.rs); a new view
-- runs it at once.
alter table caseload_items add primary key (item_id);
create index caseload_items_open on caseload_items (stream_id) where closed_at is null and known_until is null;
create index caseload_items_when on caseload_items (municipality, opened_at);
