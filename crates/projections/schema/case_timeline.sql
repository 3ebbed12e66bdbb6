-- Every event of a child's case in order, with who caused it and when. Written only by the
-- case_timeline projection.
create table case_timeline (
    case_id        uuid not null,
    stream_version bigint not null,
    event_type     text not null,
    actor_subject  text not null,
    actor_role     text not null,
    -- When its step was taken (which a caller may date back); recorded_at is when the
    -- service learned of it.
    occurred_at    timestamptz not null,
    recorded_at    timestamptz not null
);
-- After loading: a rebuild runs what follows once its rows are in (rebuild.rs); a new view
-- runs it at once.
alter table case_timeline add primary key (case_id, stream_version);
