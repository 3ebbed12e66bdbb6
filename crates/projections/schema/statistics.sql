-- Facts behind the statistics per municipality and period (DOMAIN.md, Statistics): one row per
-- report, investigation, emergency decision, plan evaluation and letter sent, with the times
-- the columns are counted by, and beside each (*_known) when the service learned of it, so a
-- count "as known at" a moment leaves out what was entered later. Written only by the
-- statistics projection.
create table stat_reports (
    report_id               uuid primary key,
    municipality            text not null,
    received_at             timestamptz not null,
    received_known          timestamptz not null,
    screening_breached_from timestamptz not null,
    screened_at             timestamptz,
    screened_known          timestamptz,
    -- Every child's screening outcome a dismissal (registry codes 1.x and 3).
    dismissed               boolean
);
-- One row per child of a screened report: what the national counting (Statistics Norway and
-- the registry) counts, per child and by screening. category: 1 dismissed (codes 1, 1.x),
-- 2 investigation opened, 3 dismissed because measures are active, 4 concerns an
-- investigation under way.
create table stat_screenings (
    report_id               uuid not null,
    child_index             integer not null,
    municipality            text not null,
    screened_at             timestamptz not null,
    screened_known          timestamptz not null,
    screening_breached_from timestamptz not null,
    category                smallint not null,
    primary key (report_id, child_index)
);
create table stat_investigations (
    case_id       uuid not null,
    number        integer not null,
    municipality  text not null,
    opened_at     timestamptz not null,
    -- Including an extension.
    breached_from timestamptz not null,
    -- The registry's rule: the report received + 7 + 90 days (+ 7 + 180 when extended).
    registry_breached_from timestamptz not null,
    concluded_at  timestamptz,
    concluded_known timestamptz,
    dismissed     boolean,
    primary key (case_id, number)
);
create table stat_emergency_decisions (
    case_id      uuid not null,
    number       integer not null,
    municipality text not null,
    made_at      timestamptz not null,
    made_known   timestamptz not null,
    primary key (case_id, number)
);
create table stat_evaluations (
    case_id      uuid not null,
    measure      integer not null,
    municipality text not null,
    evaluated_at timestamptz not null,
    evaluated_known timestamptz not null,
    due_on       date not null,
    on_time      boolean not null,
    primary key (case_id, measure, evaluated_at)
);
create table stat_letters (
    report_id     uuid not null,
    letter        text not null,
    municipality  text not null,
    sent_at       timestamptz not null,
    sent_known    timestamptz not null,
    -- Null when the letter was sent without being owed (a receipt for an obviously unfounded report).
    breached_from timestamptz,
    late          boolean not null,
    primary key (report_id, letter)
);
-- Every step (a command: a screening is one step, however many streams it writes) entered on
-- a later day (Europe/Oslo) than it was taken, with its first event: what the county
-- governor's supervision asks about late entries.
create table stat_late_steps (
    command_id     uuid primary key,
    stream_id      text not null,
    stream_version bigint not null,
    municipality   text not null,
    event_type     text not null,
    taken_at       timestamptz not null,
    known_at       timestamptz not null,
    days_late      integer not null
);
-- After loading: a rebuild runs what follows once its rows are in (rebuild.rs); a new view
-- runs it at once.
create index stat_late_steps_taken on stat_late_steps (municipality, taken_at);
