-- Read model: every event of a child's case in order, with who caused it and when.
-- Versions 1001 and up: the projections' migrations share sqlx's table with the event store's.
create table case_timeline (
    case_id        uuid not null,
    stream_version bigint not null,
    event_type     text not null,
    actor_subject  text not null,
    actor_role     text not null,
    recorded_at    timestamptz not null,
    primary key (case_id, stream_version)
);
