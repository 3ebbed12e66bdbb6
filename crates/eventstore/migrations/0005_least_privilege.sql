-- The serving process's privileges, granted to the group role `vern_app`: it appends events
-- and reads them, keeps stream versions, command results and checkpoints, and creates the
-- read models' tables (they are its own: it fills, rebuilds and swaps them). It cannot
-- change or remove an event: no UPDATE, DELETE or TRUNCATE on `events`, and, not owning the
-- table, it cannot drop it or switch its trigger off; nor, not being a superuser, can it set
-- `session_replication_role` to skip triggers. These migrations run as the schema's owner.
--
-- A login role for the server is a member of `vern_app` (`vern up` makes `vern_server` in its
-- private PostgreSQL; deploy/README.md gives the SQL for a server of one's own). Where the
-- role does not exist yet and the migrating role may create roles (a superuser, as before
-- roles were split), it is created here, so an existing single-role installation upgrades.

do $$
begin
    if not exists (select from pg_roles where rolname = 'vern_app') then
        begin
            create role vern_app nologin;
        exception
            -- Made meanwhile by the migration of another database on the same server.
            when duplicate_object or unique_violation then null;
            when insufficient_privilege then
                raise exception 'the role vern_app does not exist and % may not create it: create it first (deploy/README.md, "Database roles")', current_user;
        end;
    end if;
    execute format('grant connect, temporary, create on database %I to vern_app', current_database());
end
$$;

grant usage, create on schema public to vern_app;

grant select, insert on events to vern_app;
grant select, insert, update on streams to vern_app;
grant select, insert on commands to vern_app;
grant select, insert, update, delete on checkpoints to vern_app;
-- A serving process checks that the schema is current at start (and changes nothing).
grant select on _sqlx_migrations to vern_app;
