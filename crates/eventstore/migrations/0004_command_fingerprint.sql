-- A command id is bound to its command: the command's fingerprint (a hash of its method and
-- canonical content, made by the caller of the store) is kept with its result, and the same
-- id sent with another fingerprint answers `reused` instead of the first result.
--
-- Why: before this, an id sent again with a different command (another method, or the same
-- method with other content) was answered as a replay of the first, and the second command
-- was dropped without a word. Rows recorded before this migration have no fingerprint; an id
-- of theirs replays as before. The function's body is 0003's with the fingerprint added; a
-- new parameter changes its signature, so the old one is dropped.

alter table commands add column fingerprint bytea;

drop function vern_append(uuid, jsonb, text[], bigint[], text[], integer[], uuid[], text[],
                          integer[], jsonb[]);

create function vern_append(
    p_command_id      uuid,
    p_fingerprint     bytea,
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
    v_prior_fp bytea;
    v_key      bigint;
    v_actual   bigint;
    v_current  bigint[] := '{}';
    v_counts   bigint[];
    v_first    bigint;
    v_last     bigint;
    v_result   jsonb;
    v_now      timestamptz := clock_timestamp();
    v_i        integer;
    v_n        integer := coalesce(array_length(p_event_ids, 1), 0);
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
    select result, fingerprint into v_prior, v_prior_fp from commands where command_id = p_command_id;
    if found then
        -- The same id with another command is the caller's mistake, not a replay: the first
        -- command's result must not answer it, and the second must not be dropped silently.
        if v_prior_fp is not null and p_fingerprint is not null and v_prior_fp <> p_fingerprint then
            return jsonb_build_object('reused', true);
        end if;
        return jsonb_build_object('replayed', true, 'result', v_prior);
    end if;

    if coalesce(array_length(p_streams, 1), 0) = 1 and v_n > 0 then
        perform pg_advisory_xact_lock(hashtextextended('vern.stream/' || p_streams[1], 0));
        select version into v_actual from streams where stream_id = p_streams[1];
        v_actual := coalesce(v_actual, 0);
        if (p_expected[1] = 0 and v_actual <> 0)
           or (p_expected[1] > 0 and v_actual <> p_expected[1]) then
            return jsonb_build_object('conflict', jsonb_build_object(
                'stream_id', p_streams[1], 'expected', p_expected[1], 'actual', v_actual));
        end if;
        if v_n = 1 then
            insert into events (stream_id, stream_version, event_id, event_type, schema_version,
                                payload, metadata, recorded_at)
            values (p_streams[1], v_actual + 1, p_event_ids[1], p_event_types[1],
                    p_schema_versions[1], p_payloads[1], p_metadata, v_now)
            returning global_position into v_first;
            v_last := v_first;
        else
            with inserted as (
                insert into events (stream_id, stream_version, event_id, event_type,
                                    schema_version, payload, metadata, recorded_at)
                select p_streams[1], v_actual + e, p_event_ids[e], p_event_types[e],
                       p_schema_versions[e], p_payloads[e], p_metadata, v_now
                  from generate_subscripts(p_event_ids, 1) as e
                 order by e
                returning global_position
            )
            select min(global_position), max(global_position) into v_first, v_last from inserted;
        end if;
        insert into streams as s (stream_id, category, municipality, version, updated_at)
        values (p_streams[1], split_part(p_streams[1], '-', 1), p_municipalities[1],
                v_actual + v_n, v_now)
        on conflict (stream_id) do update
           set version = excluded.version,
               updated_at = excluded.updated_at,
               municipality = coalesce(excluded.municipality, s.municipality);
        v_result := jsonb_build_object(
            'streams', jsonb_build_array(jsonb_build_object(
                'stream_id', p_streams[1], 'version', v_actual + v_n)),
            'transaction_id', pg_current_xact_id()::text::bigint,
            'first_position', v_first,
            'last_position', v_last);
        insert into commands (command_id, result, recorded_at, fingerprint)
        values (p_command_id, v_result, v_now, p_fingerprint);
        return jsonb_build_object('replayed', false, 'result', v_result);
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

    insert into commands (command_id, result, recorded_at, fingerprint)
    values (p_command_id, v_result, v_now, p_fingerprint);

    return jsonb_build_object('replayed', false, 'result', v_result);
end
$$;
