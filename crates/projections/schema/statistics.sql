-- Facts behind the statistics per municipality and period (DOMAIN.md, Statistics): one row per
-- report, investigation, emergency decision, plan evaluation and letter sent, with the times
-- the columns are counted by. Written only by the statistics projection.
create table stat_reports (
    report_id               uuid primary key,
    municipality            text not null,
    received_at             timestamptz not null,
    screening_breached_from timestamptz not null,
    screened_at             timestamptz,
    -- Every child's screening outcome a dismissal (registry codes 1.x and 3).
    dismissed               boolean
);
create table stat_investigations (
    case_id       uuid not null,
    number        integer not null,
    municipality  text not null,
    opened_at     timestamptz not null,
    -- Including an extension.
    breached_from timestamptz not null,
    concluded_at  timestamptz,
    dismissed     boolean,
    primary key (case_id, number)
);
create table stat_emergency_decisions (
    case_id      uuid not null,
    number       integer not null,
    municipality text not null,
    made_at      timestamptz not null,
    primary key (case_id, number)
);
create table stat_evaluations (
    case_id      uuid not null,
    measure      integer not null,
    municipality text not null,
    evaluated_at timestamptz not null,
    due_on       date not null,
    on_time      boolean not null,
    primary key (case_id, measure, evaluated_at)
);
create table stat_letters (
    report_id     uuid not null,
    letter        text not null,
    municipality  text not null,
    sent_at       timestamptz not null,
    -- Null when the letter was sent without being owed (a receipt for an obviously unfounded report).
    breached_from timestamptz,
    late          boolean not null,
    primary key (report_id, letter)
);
