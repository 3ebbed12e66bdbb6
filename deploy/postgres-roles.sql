-- Vern's database and roles (deploy/README.md, "Database roles"), run once by PostgreSQL's
-- image when it makes the cluster (/docker-entrypoint-initdb.d). The passwords are for a
-- laptop only; anywhere else set them from secrets.
create role vern_owner login password 'vern-owner-local-only';
create role vern_app nologin;
create role vern_server login password 'vern-server-local-only' in role vern_app;
grant pg_read_all_stats to vern_app;
create database vern owner vern_owner;
