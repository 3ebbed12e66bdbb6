-- Group commit: several commands' appends in one transaction, each with its own result.
--
-- Why: with one transaction per append, every command pays a commit (a WAL flush and a round
-- trip of its own) besides its three rows; under concurrency that, not the rows, is what the
-- store paid for its contract. The store's committer (crates/eventstore/src/group.rs) sends
-- whatever appends queued while its previous batch committed through this one call.
--
-- The contract of vern_append holds per command: replays and reused ids are answered from
-- `commands`, a failed expected version writes nothing of that command, and the result names
-- the command's streams and positions. Commands are checked and written in the order given
-- (arrival order), so a second command to a stream sees the first one's events. Every lock,
-- of each command id and each stream, is taken before the first write and in one order, so
-- two batches never deadlock and the transaction id (the global order) is taken after every
-- earlier writer of these streams committed.
--
-- Set-based: the stored versions and prior results are read in one statement each, every
-- command is decided in memory in arrival order (no statement per command: at 0.25 ms a
-- command, statements per command made a batch slower than separate transactions), and the
-- events, stream versions and command records of all the commands written go in with one
-- statement each.
--
-- Arguments are vern_append's, concatenated over the commands: command i's streams are slots
-- p_stream_from[i] .. p_stream_from[i + 1] - 1, its events p_event_from[i] ..
-- p_event_from[i + 1] - 1 (both arrays have one entry more than there are commands), and an
-- event's p_event_stream names its slot in the whole batch. Returns one outcome per command,
-- shaped as vern_append's.

create function vern_append_many(
    p_command_ids     uuid[],
    p_fingerprints    bytea[],
    p_metadata        jsonb[],
    p_stream_from     integer[],
    p_event_from      integer[],
    p_streams         text[],
    p_expected        bigint[],
    p_municipalities  text[],
    p_event_stream    integer[],
    p_event_ids       uuid[],
    p_event_types     text[],
    p_schema_versions integer[],
    p_payloads        jsonb[]
) returns jsonb[]
language plpgsql
-- Its statements read arrays of any length: plans made once per connection and kept cost
-- less than planning each call anew (0.6 ms against 1.0 ms for a batch of four, timed inside
-- the function with clock_timestamp on the bench's PostgreSQL).
set plan_cache_mode = force_generic_plan
as $$
declare
    v_n            integer := coalesce(array_length(p_command_ids, 1), 0);
    v_slots        integer := coalesce(array_length(p_streams, 1), 0);
    v_key          bigint;
    v_c            integer;
    v_s            integer;
    v_k            integer;
    v_w            integer;
    v_actual       bigint;
    v_conflicting  boolean;
    -- Per stream slot: its command, the first slot naming the same stream, the version in
    -- `streams`, how many events it carries, and the version before its command wrote.
    v_slot_command integer[];
    v_slot_first   integer[];
    v_stored       bigint[];
    v_count        bigint[];
    v_event_first  integer[];
    v_base         bigint[];
    -- Per first slot of a stream: its version as of the commands decided so far, whether a
    -- written command added events to it, and the municipality the last of those named.
    v_running      bigint[];
    v_touched      boolean[];
    v_municipality text[];
    -- Per command: the first command of the batch with the same id, the stored result and
    -- fingerprint of its id if any, what became of it, and its outcome.
    v_command_first integer[];
    v_prior_found  boolean[];
    v_prior        jsonb[];
    v_prior_fp     bytea[];
    v_written_by   integer[];
    v_state        text[];
    v_outcomes     jsonb[];
    v_results      jsonb[];
    v_positions    bigint[];
    v_next         integer := 1;
    v_events_of    integer;
    v_streams_of   jsonb;
    v_transaction  bigint;
    v_now          timestamptz := clock_timestamp();
begin
    if pg_current_xact_id_if_assigned() is not null then
        raise exception 'an append must be the first write of its transaction' using errcode = 'VR001';
    end if;
    if current_setting('transaction_isolation') <> 'read committed' then
        raise exception 'an append needs read committed isolation, not %',
            current_setting('transaction_isolation') using errcode = 'VR002';
    end if;
    if v_n = 0 then
        return '{}';
    end if;

    for v_key in
        select k from (
            select hashtextextended('vern.command/' || c::text, 0) as k from unnest(p_command_ids) as c
            union
            select hashtextextended('vern.stream/' || s, 0) from unnest(p_streams) as s
        ) as keys
        order by k
    loop
        perform pg_advisory_xact_lock(v_key);
    end loop;

    -- Read after the locks: what the previous holders committed. Each row is looked up by
    -- its key in a subquery of its own, so the plan, made once and kept, is an index lookup
    -- per slot however large the tables grow (a join planned while `streams` was small would
    -- keep scanning it whole).
    select array_agg(width_bucket(u.i, p_stream_from) order by u.i),
           array_agg(u.first order by u.i),
           array_agg(coalesce((select s.version from streams as s
                                where s.stream_id = u.stream_id), 0) order by u.i),
           array_agg(coalesce(c.n, 0) order by u.i),
           array_agg(c.first_event order by u.i)
      into v_slot_command, v_slot_first, v_stored, v_count, v_event_first
      from (select stream_id, i::integer as i, min(i) over (partition by stream_id)::integer as first
              from unnest(p_streams) with ordinality as x(stream_id, i)) as u
      left join (select slot, count(*) as n, min(e)::integer as first_event
                   from unnest(p_event_stream) with ordinality as x(slot, e) group by slot) as c
        on c.slot = u.i;

    select array_agg(u.first order by u.i),
           array_agg((u.prior).command_id is not null order by u.i),
           array_agg((u.prior).result order by u.i),
           array_agg((u.prior).fingerprint order by u.i)
      into v_command_first, v_prior_found, v_prior, v_prior_fp
      from (select i::integer as i, min(i) over (partition by id)::integer as first,
                   (select c from commands as c where c.command_id = x.id) as prior
              from unnest(p_command_ids) with ordinality as x(id, i)) as u;

    v_running := v_stored;
    v_base := array_fill(0::bigint, array[v_slots]);
    v_touched := array_fill(false, array[v_slots]);
    v_municipality := array_fill(null::text, array[v_slots]);
    v_written_by := array_fill(0, array[v_n]);
    v_state := array_fill(null::text, array[v_n]);
    v_outcomes := array_fill(null::jsonb, array[v_n]);

    -- Each command in arrival order, as if appended alone one after the other.
    for v_c in 1 .. v_n loop
        -- Stored before, or written earlier in this batch: answered below, as a replay.
        if v_prior_found[v_c] or v_written_by[v_command_first[v_c]] > 0 then
            v_state[v_c] := 'seen';
            continue;
        end if;
        v_conflicting := false;
        for v_s in p_stream_from[v_c] .. p_stream_from[v_c + 1] - 1 loop
            v_actual := v_running[v_slot_first[v_s]];
            if (p_expected[v_s] = 0 and v_actual <> 0)
               or (p_expected[v_s] > 0 and v_actual <> p_expected[v_s]) then
                v_outcomes[v_c] := jsonb_build_object('conflict', jsonb_build_object(
                    'stream_id', p_streams[v_s], 'expected', p_expected[v_s], 'actual', v_actual));
                v_conflicting := true;
                exit;
            end if;
        end loop;
        if v_conflicting then
            continue;
        end if;
        for v_s in p_stream_from[v_c] .. p_stream_from[v_c + 1] - 1 loop
            v_k := v_slot_first[v_s];
            v_base[v_s] := v_running[v_k];
            if v_count[v_s] > 0 then
                v_running[v_k] := v_running[v_k] + v_count[v_s];
                v_touched[v_k] := true;
                if p_municipalities[v_s] is not null then
                    v_municipality[v_k] := p_municipalities[v_s];
                end if;
            end if;
        end loop;
        v_state[v_c] := 'written';
        v_written_by[v_command_first[v_c]] := v_c;
    end loop;

    if 'written' = any(v_state) then

        -- The first write: the transaction id (the global order) is taken here, after the locks.
        -- A slot's events are consecutive (the store lays them out so), which numbers them. The
        -- identity values are drawn row by row in insertion order, so sorted they are the
        -- written events in arrival order, whatever other writers drew between them.
        with inserted as (
            insert into events (stream_id, stream_version, event_id, event_type, schema_version,
                                payload, metadata, recorded_at)
            select p_streams[p_event_stream[e]],
                   v_base[p_event_stream[e]] + (e - v_event_first[p_event_stream[e]]) + 1,
                   p_event_ids[e], p_event_types[e], p_schema_versions[e], p_payloads[e],
                   p_metadata[v_slot_command[p_event_stream[e]]], v_now
              from generate_series(1, coalesce(array_length(p_event_ids, 1), 0)) as e
             where v_state[v_slot_command[p_event_stream[e]]] = 'written'
             order by e
            returning global_position
        )
        select array_agg(global_position order by global_position) into v_positions from inserted;
        v_transaction := pg_current_xact_id()::text::bigint;

        v_results := array_fill(null::jsonb, array[v_n]);
        for v_c in 1 .. v_n loop
            continue when v_state[v_c] is distinct from 'written';
            v_streams_of := '[]';
            for v_s in p_stream_from[v_c] .. p_stream_from[v_c + 1] - 1 loop
                v_streams_of := v_streams_of || jsonb_build_object(
                    'stream_id', p_streams[v_s], 'version', v_base[v_s] + v_count[v_s]);
            end loop;
            v_events_of := p_event_from[v_c + 1] - p_event_from[v_c];
            v_results[v_c] := jsonb_build_object(
                'streams', v_streams_of,
                'transaction_id', v_transaction,
                'first_position', v_positions[v_next],
                'last_position', v_positions[v_next + v_events_of - 1]);
            v_next := v_next + v_events_of;
        end loop;

        insert into streams as s (stream_id, category, municipality, version, updated_at)
        select p_streams[k], split_part(p_streams[k], '-', 1), v_municipality[k], v_running[k], v_now
          from generate_series(1, v_slots) as k
         where v_touched[k]
        on conflict (stream_id) do update
           set version = excluded.version,
               updated_at = excluded.updated_at,
               municipality = coalesce(excluded.municipality, s.municipality);

        insert into commands (command_id, result, recorded_at, fingerprint)
        select p_command_ids[c], v_results[c], v_now, p_fingerprints[c]
          from generate_series(1, v_n) as c
         where v_state[c] = 'written';
    end if;

    for v_c in 1 .. v_n loop
        if v_state[v_c] = 'written' then
            v_outcomes[v_c] := jsonb_build_object('replayed', false, 'result', v_results[v_c]);
        elsif v_state[v_c] = 'seen' then
            if not v_prior_found[v_c] then
                v_w := v_written_by[v_command_first[v_c]];
                v_prior[v_c] := v_results[v_w];
                v_prior_fp[v_c] := p_fingerprints[v_w];
            end if;
            -- The same id with another command is the caller's mistake, not a replay.
            if v_prior_fp[v_c] is not null and p_fingerprints[v_c] is not null
               and v_prior_fp[v_c] <> p_fingerprints[v_c] then
                v_outcomes[v_c] := jsonb_build_object('reused', true);
            else
                v_outcomes[v_c] := jsonb_build_object('replayed', true, 'result', v_prior[v_c]);
            end if;
        end if;
    end loop;
    return v_outcomes;
end
$$;
