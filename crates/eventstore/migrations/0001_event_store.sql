-- The append-only event store. See crates/eventstore/src/lib.rs for the guarantees and why.

create table events (
    global_position bigint generated always as identity primary key,
    -- Taken at the append's first write; the global log is ordered by (transaction_id, global_position).
    transaction_id  xid8 not null default pg_current_xact_id(),
    stream_id       text not null,
    stream_version  bigint not null check (stream_version > 0),
    event_id        uuid not null,
    event_type      text not null,
    schema_version  integer not null check (schema_version > 0),
    payload         jsonb not null,
    metadata        jsonb not null,
    recorded_at     timestamptz not null,
    constraint events_event_id_key unique (event_id),
    constraint events_stream_version_key unique (stream_id, stream_version)
);

create index events_global_order on events (transaction_id, global_position);

-- Current version per stream, so a version check reads one row.
create table streams (
    stream_id    text primary key,
    category     text not null,
    municipality text,
    version      bigint not null check (version > 0),
    updated_at   timestamptz not null
);

create index streams_category on streams (category);

-- Processed commands with their result: a replayed command id returns this and writes nothing.
create table commands (
    command_id  uuid primary key,
    result      jsonb not null,
    recorded_at timestamptz not null
);

-- Per subscriber, the last position it has handled (both halves of the pair).
create table checkpoints (
    subscriber      text primary key,
    transaction_id  xid8 not null,
    global_position bigint not null,
    updated_at      timestamptz not null
);

-- Corrections are new events, never edits: the database itself refuses changes to history.
create function events_refuse_change() returns trigger
language plpgsql as $$
begin
    raise exception 'events are append-only: % refused', tg_op using errcode = 'VR003';
end
$$;

create trigger events_append_only
    before update or delete or truncate on events
    for each statement execute function events_refuse_change();

-- One append: version checks, events, stream versions, command record and notification, in one
-- round trip. Expected versions: -1 any, 0 no stream, n exactly n.
create function vern_append(
    p_command_id      uuid,
    p_metadata        jsonb,
    p_streams         text[],
    p_expected        bigint[],
    p_municipalities  text[],
    p_event_stream    integer[],
    p_event_ids       uuid[],
    p_event_types     text[],
    p_schema_versions integer[],
    p_payloads        jsonb[]
) returns jsonb
language plpgsql
as $$
declare
    v_prior    jsonb;
    v_key      bigint;
    v_actual   bigint;
    v_current  bigint[] := '{}';
    v_counts   bigint[];
    v_first    bigint;
    v_last     bigint;
    v_result   jsonb;
    v_now      timestamptz := clock_timestamp();
    v_i        integer;
begin
    -- The transaction id orders the global log, so it must be taken after the stream locks
    -- below. A transaction that already wrote has one, possibly older than a concurrent
    -- writer's that committed a lower stream version: refuse rather than misorder.
    if pg_current_xact_id_if_assigned() is not null then
        raise exception 'an append must be the first write of its transaction' using errcode = 'VR001';
    end if;
    -- Each statement below must see what the previous lock holder committed.
    if current_setting('transaction_isolation') <> 'read committed' then
        raise exception 'an append needs read committed isolation, not %',
            current_setting('transaction_isolation') using errcode = 'VR002';
    end if;

    -- Serialise on the command id, so a concurrent replay waits and then returns the result.
    perform pg_advisory_xact_lock(hashtextextended('vern.command/' || p_command_id::text, 0));
    select result into v_prior from commands where command_id = p_command_id;
    if found then
        return jsonb_build_object('replayed', true, 'result', v_prior);
    end if;

    -- Lock every stream before the first write, in key order so two appends never deadlock.
    -- Advisory locks take no transaction id; the first insert below does.
    for v_key in
        select distinct hashtextextended('vern.stream/' || s, 0) from unnest(p_streams) as s order by 1
    loop
        perform pg_advisory_xact_lock(v_key);
    end loop;

    for v_i in 1 .. coalesce(array_length(p_streams, 1), 0) loop
        select version into v_actual from streams where stream_id = p_streams[v_i];
        v_actual := coalesce(v_actual, 0);
        if (p_expected[v_i] = 0 and v_actual <> 0)
           or (p_expected[v_i] > 0 and v_actual <> p_expected[v_i]) then
            return jsonb_build_object('conflict', jsonb_build_object(
                'stream_id', p_streams[v_i], 'expected', p_expected[v_i], 'actual', v_actual));
        end if;
        v_current := v_current || v_actual;
    end loop;

    select array_agg(coalesce(c.n, 0) order by s.i)
      into v_counts
      from generate_subscripts(p_streams, 1) as s(i)
      left join (select idx, count(*) as n from unnest(p_event_stream) as idx group by idx) as c
        on c.idx = s.i;

    with inserted as (
        insert into events (stream_id, stream_version, event_id, event_type, schema_version,
                            payload, metadata, recorded_at)
        select p_streams[p_event_stream[e]],
               v_current[p_event_stream[e]]
                   + row_number() over (partition by p_event_stream[e] order by e),
               p_event_ids[e], p_event_types[e], p_schema_versions[e], p_payloads[e],
               p_metadata, v_now
          from generate_subscripts(p_event_ids, 1) as e
         order by e
        returning global_position
    )
    select min(global_position), max(global_position) into v_first, v_last from inserted;

    insert into streams as s (stream_id, category, municipality, version, updated_at)
    select p_streams[i], split_part(p_streams[i], '-', 1), p_municipalities[i],
           v_current[i] + v_counts[i], v_now
      from generate_subscripts(p_streams, 1) as i
     where v_counts[i] > 0
    on conflict (stream_id) do update
       set version = excluded.version,
           updated_at = excluded.updated_at,
           municipality = coalesce(excluded.municipality, s.municipality);

    select jsonb_build_object(
               'streams', jsonb_agg(jsonb_build_object(
                   'stream_id', p_streams[i], 'version', v_current[i] + v_counts[i]) order by i),
               'transaction_id', pg_current_xact_id()::text::bigint,
               'first_position', v_first,
               'last_position', v_last)
      into v_result
      from generate_subscripts(p_streams, 1) as i;

    insert into commands (command_id, result, recorded_at) values (p_command_id, v_result, v_now);

    -- Delivered at commit, only if the transaction commits.
    perform pg_notify('vern_events', '');

    return jsonb_build_object('replayed', false, 'result', v_result);
end
$$;
